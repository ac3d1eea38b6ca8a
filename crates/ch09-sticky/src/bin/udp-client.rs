//! 九 粘包现象 — the remote shell's client, over UDP.
//!
//! It sends each command as one datagram and reads one datagram, at most 1024 bytes, as the
//! reply. The server sends two per command, so the replies fall behind; and whatever does
//! not fit in 1024 bytes is gone.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(): any free local port will do; UDP has no connect() to make.
    let client = UdpSocket::bind("127.0.0.1:0").context("could not open a UDP socket")?;
    // UDP never says whether anyone is listening: do not wait for ever.
    client.set_read_timeout(Some(Duration::from_secs(5)))?;

    let mut buf = [0u8; 1024];
    for cmd in support::input(">>: ") {
        if cmd == "quit" {
            break;
        }

        // sendto(): the command, as one datagram.
        client.send_to(cmd.as_bytes(), args.addr)?;

        // recvfrom(1024): one datagram. If it was longer than 1024 bytes, the rest is lost.
        match client.recv_from(&mut buf) {
            Ok((n, _)) => support::show_reply(&buf[..n]),
            Err(error) => println!("no reply ({error}): UDP cannot tell whether anyone is there"),
        }
    }
    Ok(())
}

/// The client end of 九 粘包现象 over UDP.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8009", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
