//! 八 基于UDP的套接字 — the simple example's server: every datagram comes back in upper case.
//!
//! No listen, no accept, no calls: UDP is more like text messages than a phone call. Each
//! datagram arrives on its own with the sender's address on it, and the answer is sent to that
//! address. So one socket serves any number of clients, in any order, and either side may
//! start first.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::{BUFSIZE, recv_from};
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) + bind(): buy a phone for text messages (a DGRAM socket
    // speaks UDP) and put the SIM card in. Rust does both in one call. That is all: no listen.
    let phone =
        UdpSocket::bind(args.addr).with_context(|| format!("could not bind {}", args.addr))?;
    println!("listening on {}", phone.local_addr()?);

    let mut buf = [0u8; BUFSIZE];
    loop {
        // recvfrom(1024): wait for the next message. It comes with the sender's address,
        // because there is no connection that would remember who is on the other end.
        // (`recv_from`, in lib.rs, is `phone.recv_from(&mut buf)` that outlives an error.)
        let (msg, addr) = recv_from(&phone, &mut buf);
        println!("recvfrom {} from {addr}", py_bytes(msg)); // print(msg, addr)

        // sendto(): answer that address, in upper case. An empty datagram gets an empty answer.
        if let Err(error) = phone.send_to(&msg.to_ascii_uppercase(), addr) {
            println!("sendto {addr} failed: {error}");
        }
    }
}

/// The server of 八's simple UDP example: answers each datagram in upper case.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8008", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
