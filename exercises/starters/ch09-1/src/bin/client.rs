//! Exercise ch09-1 — ch09's remote-shell client, which takes one recv(1024) as the reply.
//!
//! A longer reply leaves its rest in the socket, and the next command's recv picks that up
//! instead of its own answer. Read up to the mark the server puts at the end of each reply
//! (src/bin/server.rs), however many recvs that takes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    let mut buf = [0u8; 1024];
    for cmd in support::input(">>: ") {
        if cmd.is_empty() {
            continue;
        }
        if cmd == "quit" {
            break;
        }

        // send(): the command.
        phone.write_all(cmd.as_bytes())?;

        // recv(1024): whatever has arrived, up to 1024 bytes, is taken as the reply.
        // FLAW: the rest of a longer reply stays behind, and the next recv gets it.
        let n = phone.read(&mut buf)?;
        if n == 0 {
            println!("the server hung up");
            break;
        }
        support::print_reply(&buf[..n], args.brief);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// Exercise ch09-1: 九's remote-shell client over TCP.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8009", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Show each reply in a few lines: its size, its first and last lines
    #[arg(long)]
    brief: bool,
}
