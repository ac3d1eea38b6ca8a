//! 七 基于TCP的套接字 — the client end, improved.
//!
//! Each line you type is sent, then the client waits for the answer. Empty lines are skipped
//! (there is nothing to send, so nothing would come back), `quit` hangs up.

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
        // An empty line would send 0 bytes and wait for ever: skip it.
        if msg.is_empty() {
            continue;
        }
        if msg == "quit" {
            break;
        }

        // send(): say something.
        phone.write_all(msg.as_bytes())?;
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): wait for the answer. 0 bytes means the server hung up.
        let n = phone.read(&mut buf)?;
        println!("recv {}", py_bytes(&buf[..n]));
        if n == 0 {
            println!("the server hung up");
            break;
        }
    }

    // close(): hang up. (Dropping the socket closes it.)
    drop(phone);
    Ok(())
}

/// The client end of 七 基于TCP的套接字: sends each line, prints the answer.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8007", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
