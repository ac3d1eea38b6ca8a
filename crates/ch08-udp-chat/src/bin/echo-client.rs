//! 八 基于UDP的套接字 — the simple example's client.
//!
//! Each line you type is one datagram; an empty line too (it is an empty datagram, and the
//! server answers it). `quit` stops. Nothing connects, so the server need not be running
//! yet: a datagram sent to nobody is simply lost, and this client waits for ever for its
//! answer, as the article's does.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::BUFSIZE;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM), bound to a port the kernel picks: a phone of our own.
    // (Python binds it for you at the first sendto.) No connect: there is no call to dial.
    let local = support::client_bind_addr([args.addr]);
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;

    let mut buf = [0u8; BUFSIZE];
    for msg in support::input(">>: ") {
        if msg == "quit" {
            break;
        }

        // sendto(): one datagram, addressed to the server. An empty line is an empty datagram,
        // and it really is sent (a TCP send of 0 bytes sends nothing; see ch06).
        phone
            .send_to(msg.as_bytes(), args.addr)
            .with_context(|| format!("could not send to {}", args.addr))?;
        println!("sendto {}", py_bytes(msg.as_bytes()));

        // recvfrom(1024): the answer, and who sent it.
        let (n, addr) = phone.recv_from(&mut buf).context("recvfrom failed")?;
        println!("recvfrom {} from {addr}", py_bytes(&buf[..n]));
    }

    // close(): switch the phone off. (Dropping the socket closes it.)
    drop(phone);
    Ok(())
}

/// The client of 八's simple UDP example: sends each line, prints the answer.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8008", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
