//! 十二 FTP作业 — the article's MYTCPServer: stores the files clients put, sends those they get.
//!
//! The protocol and the comm loop (`talk`) are in the crate's ftp.rs. Like the article's
//! server, this one serves one client at a time: the next waits until the first hangs up.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use ch12b_ftp::talk;
use clap::Parser;
use socket2::{Domain, Socket, Type};

fn main() -> support::Result {
    let args = Args::parse();
    // server_dir: where the files go, created if missing.
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the folder {}", args.dir.display()))?;

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);
    println!("files go to {}", args.dir.display());

    // The link loop: one client after another.
    loop {
        // accept(): pick up.
        let (conn, addr) = match phone.accept() {
            Ok(call) => call,
            Err(error) => {
                // A call that broke before we picked up, or no descriptor free: no reason to
                // stop serving. Wait a moment (rather than fail again at once), then go on.
                println!("accept failed: {error}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        println!("call from {addr}");
        // The comm loop: requests until the client hangs up. Nobody else is served meanwhile,
        // and whatever goes wrong with this client ends this call only.
        match talk(conn, addr, &args.dir, args.limit_rate) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
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
    /// Move each file at most this fast, in bytes a second, as curl's option (e.g. 5M or 500K)
    #[arg(long, value_name = "RATE", value_parser = support::parse_rate)]
    limit_rate: Option<u64>,
}
