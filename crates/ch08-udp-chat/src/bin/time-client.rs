//! 八 基于UDP的套接字 — the time client (the article's "ntp" client).
//!
//! Each line you type is a strftime format (`%Y %m %d`, `%H:%M`, ...) sent as one datagram;
//! an empty line asks for the server's default. The answer is printed. `quit` stops.
//!
//! One step beyond the article: this client `connect`s its UDP socket. That calls nobody. It
//! writes the server's address on the socket, so that plain send and recv work (the article's
//! client uses recv too), answers from anyone else are dropped, and the kernel can tell us
//! when nobody is there: the echo client waits for ever, this one stops with an error.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::BUFSIZE;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) on a port the kernel picks.
    let local = support::client_bind_addr([args.addr]);
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;
    // connect(): no handshake, nothing is sent. From now on this socket talks only to the
    // time server: send() goes there, and recv() takes only what comes from there.
    phone
        .connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    let mut buf = [0u8; BUFSIZE];
    // 请输入时间格式(例%Y %m %d)>>: "time format (e.g. %Y %m %d)>>:".
    for msg in support::input("time format (e.g. %Y %m %d)>>: ") {
        if msg == "quit" {
            break;
        }

        // send(): the format, empty or not, is one datagram to the connected address.
        phone.send(msg.as_bytes()).context("send failed")?;
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): the time. If nobody listens at the server's port, the kernel's "port
        // unreachable" note comes back, and on a connected socket recv reports it as an error
        // (Connection refused) instead of waiting for ever.
        let n = phone
            .recv(&mut buf)
            .with_context(|| format!("no answer from {}", args.addr))?;
        println!("recv {}", py_bytes(&buf[..n]));
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
