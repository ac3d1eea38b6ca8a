//! 十 什么是粘包 — the receiving end of the article's two experiments.
//!
//! It takes one call and makes the recv calls you ask for (`--recv 10 --recv 10` by default),
//! printing what each returned. TCP hands over bytes, not messages: a recv returns whatever
//! has arrived, up to the size asked for.

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

    // recv(n) for each size asked: each returns what has arrived, up to n bytes.
    for &size in &args.recv {
        let mut buf = vec![0u8; usize::from(size)];
        let n = conn.read(&mut buf)?;
        println!("recv({size}) -> {}", py_bytes(&buf[..n]));
    }

    // close(): hang up.
    drop(conn);
    println!("call from {addr} ended");
    Ok(())
}

/// The server end of 十 什么是粘包: one call, a few recv calls, each result printed.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8010", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The size of each recv call, in order (the article: 10 and 10; then 2 and 10)
    #[arg(long = "recv", value_name = "SIZE", default_values_t = [10, 10],
          value_parser = clap::value_parser!(u16).range(1..))]
    recv: Vec<u16>,
    /// Wait for Enter before the first recv, so everything sent meanwhile arrives first
    #[arg(long)]
    pause: bool,
}
