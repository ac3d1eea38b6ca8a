//! Exercise ch09-1 — ch09's remote shell over TCP, whose replies run into each other.
//!
//! The client sends a command; the server runs it and sends back what it printed: stderr,
//! then stdout. Nothing tells the client where one reply ends. Make the server mark the end
//! of every reply, and the client (src/bin/client.rs) read up to that mark.

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

        // send() twice: stderr, then stdout. Nothing marks where this reply ends.
        let (err, out) = (out.stderr, out.stdout);
        println!(
            "send {} bytes (stderr), {} bytes (stdout)",
            err.len(),
            out.len()
        );
        conn.write_all(&err)?;
        conn.write_all(&out)?;
    }
}

/// Exercise ch09-1: 九's remote shell over TCP.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8009", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Allow listening on an address other machines can reach (anyone there can run commands)
    #[arg(long)]
    allow_remote: bool,
}
