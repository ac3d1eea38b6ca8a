//! Exercise ch11-1 — ch11's client, counting as the article's does.
//!
//! It sends a command, receives the reply's length as text, answers `recv_ready`, and then
//! receives until it has counted `length` bytes. But it counts as the article's client does
//! (`recv_size += len(data)`, where `data` is the whole reply so far), and so it stops early
//! on a long reply, and the next reply starts with the rest of this one. Fix the count.

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

        // recv(): the reply's length, as text. 0 bytes: the server hung up.
        let n = phone.read(&mut buf)?;
        if n == 0 {
            println!("the server hung up");
            break;
        }
        let length = parse_length(&buf[..n])?;

        // send(): b'recv_ready'. The server sends nothing until it hears this.
        phone.write_all(b"recv_ready")?;

        // recv(1024) until recv_size reaches the length, as the article's client does:
        //     while recv_size < length:
        //         data += phone.recv(1024)
        //         recv_size += len(data)
        let mut reply = Vec::new();
        let mut recv_size = 0;
        while recv_size < length {
            let n = phone.read(&mut buf)?;
            reply.extend_from_slice(&buf[..n]);
            recv_size += reply.len();
        }
        support::print_reply(&reply, args.brief);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The length as the server sent it: decimal digits, b'3893'. The article's `int(...)`.
fn parse_length(text: &[u8]) -> anyhow::Result<usize> {
    let length = std::str::from_utf8(text)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .with_context(|| format!("expected a length, got {}", support::py_bytes_head(text)))?;
    anyhow::ensure!(
        length <= MAX_REPLY,
        "a reply of {length} bytes is more than we accept"
    );
    Ok(length)
}

/// The longest reply this client accepts: a lying server must not make it take all memory.
const MAX_REPLY: usize = 1 << 30;

/// Exercise ch11-1: 十一's remote-shell client, told the length first.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8011", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Show each reply in a few lines: its size, its first and last lines
    #[arg(long)]
    brief: bool,
}
