//! Exercise ch11-1, a solution — ch11's client, which counts what each recv returned (the
//! article counts the whole reply so far), and never asks for more than the reply has left.

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

        // recv() until we have exactly `length` bytes, counting what each recv returned.
        let mut reply = Vec::new();
        while reply.len() < length {
            let want = (length - reply.len()).min(buf.len());
            let n = phone.read(&mut buf[..want])?;
            support::ensure!(
                n > 0,
                "the server hung up after {} of {length} bytes",
                reply.len()
            );
            reply.extend_from_slice(&buf[..n]);
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
