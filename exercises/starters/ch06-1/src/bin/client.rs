//! Exercise ch06-1 — ch06's client, as it is: each line you type is sent, then the client
//! waits for the answer.
//!
//! Nothing here checks for an empty line: send it and the client waits forever. Make it
//! survive the empty line (and a line of spaces), and make `quit` hang up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server's number. (Rust does both in one call.)
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    let mut buf = [0u8; 1024];
    for msg in support::input(">>: ") {
        // send(): say something. An empty line sends nothing at all...
        phone.write_all(msg.as_bytes())?;
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): ...and then we wait here for an answer to nothing. Stuck.
        let n = phone.read(&mut buf)?;
        println!("recv {}", py_bytes(&buf[..n]));
    }

    // close(): hang up. (Dropping the socket closes it.)
    drop(phone);
    Ok(())
}

/// Exercise ch06-1: ch06's client, which sends each line and prints the answer.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8006", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
