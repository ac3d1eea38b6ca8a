//! Exercise ch10-1, a solution — the receiving end, which reads each message's length (4
//! bytes, little-endian, as chapter 十二's `struct.pack('<i')`) and then exactly that many
//! bytes, however the recvs cut them.

use std::io::{self, BufReader, Read};
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
    let (conn, addr) = phone.accept()?;
    println!("call from {addr}");

    if args.pause {
        // A slow receiver: whatever the client sends meanwhile piles up in our receive buffer.
        println!("press Enter to start reading");
        io::stdin().read_line(&mut String::new())?;
    }

    // Every recv takes at most recv_size bytes (the reader's buffer); read_exact goes on with
    // another recv until it has what it asked for.
    let mut conn = BufReader::with_capacity(args.recv_size, conn);
    loop {
        // The length: exactly 4 bytes, or none at all when the caller has hung up.
        let mut length = [0u8; 4];
        match conn.read_exact(&mut length) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(error.into()),
        }
        let length = u32::from_le_bytes(length);
        support::ensure!(
            length <= MAX_MESSAGE,
            "a message of {length} bytes is too long"
        );
        // The message: exactly that many bytes.
        let mut message = vec![0u8; length as usize];
        conn.read_exact(&mut message)?;
        println!("message {}", py_bytes(&message));
    }

    // close(): hang up.
    drop(conn);
    println!("call from {addr} ended");
    Ok(())
}

/// The longest message accepted: a length from the network is checked before it is used.
const MAX_MESSAGE: u32 = 1 << 20;

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
