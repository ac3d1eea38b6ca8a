//! 十二 FTP作业 — the article's MYTCPServer: stores the files clients put, sends those they get.
//!
//! The protocol and the comm loop (`talk`) are in the crate's ftp.rs. Like the article's
//! server, this one serves one client at a time: the next waits until the first hangs up.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::Context;
use ch12b_ftp::talk;
use clap::Parser;
use socket2::{Domain, Socket, Type};

fn main() -> support::Result {
    let args = Args::parse();
    // server_dir: where the files go, created if missing.
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the folder {}", args.dir.display()))?;

    // MYTCPServer.__init__: socket(), SO_REUSEADDR (server_bind), bind(), listen(5)
    // (server_activate; request_queue_size = 5).
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);
    println!("files go to {}", args.dir.display());

    // run(): the link loop, one client after another.
    loop {
        // get_request(): accept().
        let (conn, addr) = phone.accept()?;
        println!("connection from {addr}");
        // TCP_NODELAY: a small header must not wait for the last one's acknowledgement (ch10).
        conn.set_nodelay(true)?;
        // The comm loop: requests until the client hangs up. Nobody else is served meanwhile.
        match talk(conn, addr, &args.dir) {
            Ok(()) => println!("connection from {addr} ended"),
            Err(error) => println!("connection from {addr} ended: {error}"),
        }
    }
}

/// The server end of 十二 FTP作业: put and get, one client at a time.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8212", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The folder that files are put in and got from (server_dir)
    #[arg(long, default_value = "file_upload")]
    dir: PathBuf,
}
