//! 八 基于UDP的套接字 — the time client (the article's "ntp" client).
//!
//! Each line you type is a strftime format (`%Y %m %d`, `%H:%M`, ...) sent as one datagram;
//! an empty line asks for the server's default. The answer is printed. `quit` stops.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::{BUFSIZE, client_bind_addr};
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) on a port the kernel picks.
    let local = client_bind_addr([args.addr]);
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;

    let mut buf = [0u8; BUFSIZE];
    // 请输入时间格式(例%Y %m %d)>>: "time format (e.g. %Y %m %d)>>:".
    for msg in support::input("time format (e.g. %Y %m %d)>>: ") {
        if msg == "quit" {
            break;
        }

        // sendto(): the format, empty or not, is one datagram.
        phone
            .send_to(msg.as_bytes(), args.addr)
            .with_context(|| format!("could not send to {}", args.addr))?;
        println!("sendto {}", py_bytes(msg.as_bytes()));

        // recvfrom(1024): the time. (The article calls recv, which drops the sender's address.)
        let (n, addr) = phone.recv_from(&mut buf).context("recvfrom failed")?;
        println!("recvfrom {} from {addr}", py_bytes(&buf[..n]));
    }

    // close()
    drop(phone);
    Ok(())
}

/// The time client of 八: sends each line as a time format, prints the time.
#[derive(Parser)]
struct Args {
    /// Address of the time server
    #[arg(long, default_value = "127.0.0.1:8028", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
