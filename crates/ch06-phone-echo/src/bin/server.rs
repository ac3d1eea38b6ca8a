//! 六 套接字工作流程 — the server end of a phone call.
//!
//! It takes exactly one call and talks until... forever: nothing here checks for a caller
//! who hung up. `ch07-link-loop` adds the checks.

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
    // bind(): put the SIM card in, so the phone has a number (our address).
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    // listen(5): switch the phone on and wait; up to 5 callers may wait in line.
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // accept(): a caller rings and we pick up. This blocks until someone calls.
    let (mut conn, addr) = phone.accept()?;
    println!("call from {addr}");

    let mut buf = [0u8; 1024];
    let mut empty_in_a_row = 0;
    loop {
        // recv(1024): listen. Blocks until the caller says something.
        let n = conn.read(&mut buf)?;
        let data = &buf[..n];
        println!("recv {}", py_bytes(data));

        // FLAW: once the caller hangs up, recv returns b'' at once, every time, and this loop
        // spins forever. The article's server does just that; ours gives up after a few rounds
        // so your terminal is not flooded. ch07 checks for the 0 bytes instead.
        if data.is_empty() {
            empty_in_a_row += 1;
            if empty_in_a_row == 5 {
                println!("recv returned b'' 5 times in a row: the caller is gone, giving up");
                break;
            }
        }

        // send(): answer, in upper case (like Python's bytes.upper()).
        conn.write_all(&data.to_ascii_uppercase())?;
    }

    // close(): hang up; then switch the phone off. (Dropping a socket closes it.)
    drop(conn);
    println!("call from {addr} ended");
    drop(phone);
    Ok(())
}

/// The server end of 六 套接字工作流程: takes one call, echoes it in upper case.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8006", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
