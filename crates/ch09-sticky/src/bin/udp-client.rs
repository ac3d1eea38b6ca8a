//! 九 粘包现象 — the remote shell's client, over UDP.
//!
//! It sends each command as one datagram and reads one datagram, at most 1024 bytes, as the
//! reply. The server sends two per command, so the replies fall behind; and whatever does
//! not fit in 1024 bytes is gone. `--brief` shows each reply as its size and its first and
//! last lines.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) on a port the kernel picks, as ch08's clients do.
    let local = support::client_bind_addr([args.addr]);
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;
    // UDP never says whether anyone is listening: do not wait for ever.
    phone.set_read_timeout(Some(Duration::from_secs(5)))?;

    let mut buf = [0u8; 1024];
    for cmd in support::input(">>: ") {
        if cmd == "quit" {
            break;
        }

        // sendto(): the command, as one datagram.
        phone
            .send_to(cmd.as_bytes(), args.addr)
            .with_context(|| format!("could not send to {}", args.addr))?;

        // recvfrom(1024): one datagram. If it was longer than 1024 bytes, the rest is lost.
        match phone.recv_from(&mut buf) {
            Ok((n, _)) => support::print_reply(&buf[..n], args.brief),
            Err(error) => println!("no reply ({error}): UDP cannot tell whether anyone is there"),
        }
    }

    // close(): switch the phone off.
    drop(phone);
    Ok(())
}

/// The client end of 九 粘包现象 over UDP.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8009", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Show each reply in a few lines: its size, its first and last lines
    #[arg(long)]
    brief: bool,
}
