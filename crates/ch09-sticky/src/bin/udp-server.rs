//! 九 粘包现象 — the same remote shell over UDP.
//!
//! Each command is one datagram, and the server answers with two: stderr, then stdout.
//! Datagrams never run into each other, but a client that reads one per command falls
//! behind, and a datagram bigger than the client's buffer loses its rest.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use clap::Parser;
use support::{py_bytes, shell};

fn main() -> support::Result {
    let args = Args::parse();
    // This server runs any command it is sent: only this machine may reach it, unless you insist.
    shell::refuse_remote(args.addr, args.allow_remote)?;

    // socket() + bind(): a UDP socket has no listen() and no accept(), no calls at all.
    let phone =
        UdpSocket::bind(args.addr).with_context(|| format!("could not bind {}", args.addr))?;
    println!("listening on {}", phone.local_addr()?);

    let mut buf = [0u8; 1024];
    loop {
        // recvfrom(1024): one datagram is one command, from whoever sent it.
        let (n, addr) = match phone.recv_from(&mut buf) {
            Ok(got) => got,
            Err(error) => {
                println!("recvfrom failed: {error}");
                continue;
            }
        };
        println!("recvfrom {} from {addr}", py_bytes(&buf[..n]));
        let out = shell::run(&String::from_utf8_lossy(&buf[..n]));

        // sendto() twice: stderr, then stdout, each its own datagram, even when empty.
        for (name, part) in [("stderr", out.stderr), ("stdout", out.stdout)] {
            match phone.send_to(&part, addr) {
                Ok(sent) => println!("sendto {sent} bytes ({name}) to {addr}"),
                // A datagram holds at most 65507 bytes: a longer one is not sent at all.
                Err(error) => println!(
                    "sendto {} bytes ({name}) to {addr} failed: {error}",
                    part.len()
                ),
            }
        }
    }
}

/// The server end of 九 粘包现象 over UDP: a remote shell, one datagram per command.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8009", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Allow listening on an address other machines can reach (anyone there can run commands)
    #[arg(long)]
    allow_remote: bool,
}
