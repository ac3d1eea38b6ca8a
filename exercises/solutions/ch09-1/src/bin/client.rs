//! Exercise ch09-1, a solution — ch09's remote-shell client, which reads each reply up to the
//! NUL byte the server ends it with, however many recvs that takes.

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

        // recv(1024) again and again, up to the NUL byte that ends the reply. The server sends
        // nothing after it until the next command, so a recv never takes the next reply's
        // bytes.
        let mut reply = Vec::new();
        while reply.last() != Some(&END) {
            let n = phone.read(&mut buf)?;
            if n == 0 {
                println!("the server hung up");
                return Ok(());
            }
            reply.extend_from_slice(&buf[..n]);
        }
        reply.pop();
        support::print_reply(&reply, args.brief);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// Where a reply ends: a NUL byte (see the server).
const END: u8 = 0;

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
