//! Exercise ch06-1, a solution — ch06's client, which skips empty lines (there is nothing to
//! send, so no answer would come) and hangs up at `quit`.

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
        // An empty line would send 0 bytes, and then wait for an answer to nothing: skip it.
        // (support::input strips the line, so a line of spaces is empty too.)
        if msg.is_empty() {
            continue;
        }
        if msg == "quit" {
            break;
        }

        // send(): say something.
        phone.write_all(msg.as_bytes())?;
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): wait for the answer.
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
