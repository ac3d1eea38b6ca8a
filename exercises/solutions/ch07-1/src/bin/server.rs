//! Exercise ch07-1, a solution — ch07's server, which sets SO_REUSEADDR before bind, and so
//! restarts on its port at once, even while its last call waits in TIME_WAIT.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};

use anyhow::Context;
use clap::Parser;
use socket2::{Domain, Socket, Type};
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(): buy a phone. A STREAM socket speaks TCP.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    // SO_REUSEADDR, before bind: reuse the number even while old calls linger in TIME_WAIT.
    phone.set_reuse_address(true)?;
    // bind(): put the SIM card in, so the phone has a number (our address).
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    // listen(5): switch the phone on and wait; up to 5 callers may wait in line.
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop: take one call after another, for ever.
    loop {
        // accept(): a caller rings and we pick up. This blocks until someone calls.
        let (mut conn, addr) = phone.accept()?;
        println!("call from {addr}");

        // The comm loop: talk until the caller hangs up.
        let mut buf = [0u8; 1024];
        loop {
            // recv(1024): listen. Blocks until the caller says something.
            let n = match conn.read(&mut buf) {
                Ok(n) => n,
                Err(error) => {
                    println!("recv failed: {error}"); // e.g. the caller's machine reset the line
                    break;
                }
            };
            let data = &buf[..n];
            println!("recv {}", py_bytes(data));

            // 0 bytes means the caller hung up: end this call, go back to accept().
            if data.is_empty() {
                break;
            }

            // send(): answer, in upper case (like Python's bytes.upper()).
            if let Err(error) = conn.write_all(&data.to_ascii_uppercase()) {
                println!("send failed: {error}");
                break;
            }
        }

        // close(): hang up this call; the phone stays on for the next one.
        drop(conn);
        println!("call from {addr} ended");
    }
}

/// Exercise ch07-1: ch07's server, which takes call after call and echoes in upper case.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8007", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
