//! 八 基于UDP的套接字 — the time server (时间服务器, the article's "ntp" server).
//!
//! Each datagram is a strftime format, such as `%Y %m %d`; an empty one means
//! `%Y-%m-%d %X`. The answer is the local time in that format. A format that cannot be
//! rendered, or bytes that are not text, get an answer starting with `error:`: no datagram
//! can crash or stop this server.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::{BUFSIZE, DEFAULT_TIME_FORMAT, recv_from, strftime};
use chrono::Local;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) + bind(). (The article calls this UDP socket `tcp_server`.)
    let phone =
        UdpSocket::bind(args.addr).with_context(|| format!("could not bind {}", args.addr))?;
    println!("listening on {}", phone.local_addr()?);

    let mut buf = [0u8; BUFSIZE];
    loop {
        // recvfrom(1024): a format, from some client.
        let (msg, addr) = recv_from(&phone, &mut buf);
        println!("recvfrom {} from {addr}", py_bytes(msg)); // print('===>', msg)

        // An empty datagram is a message too: it asks for the default format.
        let back_msg = match std::str::from_utf8(msg) {
            Ok("") => strftime(&Local::now(), DEFAULT_TIME_FORMAT),
            Ok(time_fmt) => strftime(&Local::now(), time_fmt),
            Err(_) => Err("a time format must be UTF-8 text".to_owned()),
        }
        .unwrap_or_else(|error| format!("error: {error}"));

        // sendto(): the time goes back to whoever asked.
        if let Err(error) = phone.send_to(back_msg.as_bytes(), addr) {
            println!("sendto {addr} failed: {error}"); // e.g. an answer too big for a datagram
        }
    }
}

/// The time server of 八: answers each strftime format with the local time.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8028", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
