//! 十二 FTP作业 — the article's MYTCPClient: `put FILE` uploads a file, `get NAME` downloads one.
//!
//! It dials the server, then runs the commands typed, one a line (`run`, `put` and `get` are in
//! the crate's client.rs, which ch14's client uses too).

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

/// The client end of 十二 FTP作业: put and get files.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8212", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    options: Options,
}
