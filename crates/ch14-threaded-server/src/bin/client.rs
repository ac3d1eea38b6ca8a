//! 十四 socketserver实现并发 — 十二's FTP client, unchanged: the threads are all on the server's side.
//!
//! It dials the server, then runs the commands typed, one a line (`run`, `put` and `get` are in
//! ch12b's client.rs: this is ch12b's client with another default port).

use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch12b_ftp::client::{self, Options};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    // MYTCPClient.run(): a command a line, `put FILE`, `get NAME` or `quit`.
    client::run(&mut phone, &args.options)?;

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The client end of 十四 socketserver实现并发: put and get files.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8014", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    options: Options,
}
