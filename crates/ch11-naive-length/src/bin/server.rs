//! 十一 解决粘包的low比处理方法 — the remote shell, with the reply's length sent first.
//!
//! Before the reply, the server sends its length as text and waits for the client to answer
//! `recv_ready`; then the client knows how many bytes to read. It works, at the price of one
//! more trip across the network for every reply.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use anyhow::Context;
use clap::Parser;
use socket2::{Domain, Socket, Type};
use support::{py_bytes, shell};

fn main() -> support::Result {
    let args = Args::parse();
    // This server runs any command it is sent: only this machine may reach it, unless you insist.
    shell::refuse_remote(args.addr, args.allow_remote)?;

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop: one client after another.
    loop {
        // accept(): pick up.
        let (conn, addr) = phone.accept()?;
        println!("call from {addr}");
        match talk(conn) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The comm loop: a command in, its output back, until the client hangs up.
fn talk(mut conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    loop {
        // recv(1024): the command. 0 bytes: the client hung up.
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        println!("recv {}", py_bytes(&buf[..n]));
        let out = shell::run(&String::from_utf8_lossy(&buf[..n]));

        // One reply per command, as in the article: the errors if there are any, else the output.
        let reply = if out.stderr.is_empty() {
            out.stdout
        } else {
            out.stderr
        };

        // send(): the length first, as text: b'3893'.
        conn.write_all(reply.len().to_string().as_bytes())?;
        // recv(): wait for b'recv_ready'. Nothing else may come in between, so the length
        // cannot stick to the data: that is the whole trick, and the extra round trip.
        let n = conn.read(&mut buf)?;
        if &buf[..n] != b"recv_ready" {
            let got = py_bytes(&buf[..n]);
            let wrong = format!("expected b'recv_ready', got {got}");
            return Err(io::Error::new(io::ErrorKind::InvalidData, wrong));
        }
        // sendall(): the reply itself.
        println!(
            "send b'{}', recv b'recv_ready', send {0} bytes",
            reply.len()
        );
        conn.write_all(&reply)?;
    }
}

/// The server end of 十一 解决粘包的low比处理方法: a remote shell that sends the length first.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8011", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Allow listening on an address other machines can reach (anyone there can run commands)
    #[arg(long)]
    allow_remote: bool,
}
