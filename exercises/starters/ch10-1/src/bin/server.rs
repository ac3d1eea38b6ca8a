//! Exercise ch10-1 — ch10's receiving end, which prints what each recv returned.
//!
//! It takes one call and receives until the caller hangs up, `--recv-size` bytes at most at a
//! time. TCP hands over bytes, not messages: two messages sent back to back come out of one
//! recv (cause 1), and a small recv takes part of one (cause 2). Make it print each message
//! the client sent, once, whole, in order, as `message b'...'`, however the bytes come. The
//! client (src/bin/client.rs) may send more than the messages: that is yours to design.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener};

use anyhow::Context;
use clap::Parser;
use socket2::{Domain, Socket, Type};
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // accept(): one call, as in the article.
    let (mut conn, addr) = phone.accept()?;
    println!("call from {addr}");

    if args.pause {
        // A slow receiver: whatever the client sends meanwhile piles up in our receive buffer.
        println!("press Enter to start reading");
        io::stdin().read_line(&mut String::new())?;
    }

    // recv(recv_size) until the caller hangs up: each returns what has arrived, up to that.
    let mut buf = vec![0u8; args.recv_size];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        println!("recv({}) -> {}", args.recv_size, py_bytes(&buf[..n]));
    }

    // close(): hang up.
    drop(conn);
    println!("call from {addr} ended");
    Ok(())
}

/// Exercise ch10-1: 十's receiving end: one call, received until it ends.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8010", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The most each recv call may take, in bytes
    #[arg(long, value_name = "SIZE", default_value_t = 1024,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65536))]
    recv_size: usize,
    /// Wait for Enter before the first recv, so everything sent meanwhile arrives first
    #[arg(long)]
    pause: bool,
}
