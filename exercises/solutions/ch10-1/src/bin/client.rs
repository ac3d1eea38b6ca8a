//! Exercise ch10-1, a solution — the sending end, which sends each message's length (4 bytes,
//! little-endian) in front of it, so that the receiver knows where the message ends.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    // TCP_NODELAY switches off Nagle's algorithm: each small send leaves at once, in its own
    // segment, instead of waiting to be merged with the next. (The receiver still sees bytes.)
    if args.nodelay {
        phone.set_nodelay(true)?;
    }

    // send() each message, back to back, its length first.
    for msg in &args.send {
        let length = u32::try_from(msg.len())?;
        phone.write_all(&length.to_le_bytes())?;
        phone.write_all(msg.as_bytes())?;
        println!("send {}", py_bytes(msg.as_bytes()));
    }

    // close(): hang up. The server reads what we sent whenever it likes.
    drop(phone);
    Ok(())
}

/// Exercise ch10-1: 十's sending end: a few sends in a row, then hang up.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8010", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// A message to send with its own send call; repeat for more (the article: hello, feng)
    #[arg(long = "send", value_name = "TEXT", default_values_t = ["hello".to_owned(), "feng".to_owned()])]
    send: Vec<String>,
    /// Set TCP_NODELAY (no Nagle): small sends are not held back to be merged
    #[arg(long)]
    nodelay: bool,
}
