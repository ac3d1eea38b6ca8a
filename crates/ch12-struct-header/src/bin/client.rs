//! 十二 峰哥解决粘包的方法 — the remote shell's client, reading framed replies.
//!
//! It sends a command, then reads exactly 4 bytes (the header's length), exactly that many
//! bytes of JSON header, and exactly `data_size` bytes of data.
//! `--brief` shows each reply as its size and its first and last lines.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch12_struct_header::{Reply, recv_data, recv_header};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    for cmd in support::input(">>: ") {
        if cmd.is_empty() {
            continue;
        }
        if cmd == "quit" {
            break;
        }

        // send(): the command.
        phone.write_all(cmd.as_bytes())?;

        // recv exactly 4 bytes, then exactly that many: the header. None: the server hung up.
        let Some(header) = recv_header::<Reply>(&mut phone)? else {
            println!("the server hung up");
            break;
        };

        // recv exactly data_size bytes: the reply, however many recv calls it takes.
        let reply = recv_data(&mut phone, header.data_size, MAX_REPLY)?;
        support::print_reply(&reply, args.brief);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The longest reply this client accepts: a lying server must not make it take all memory.
const MAX_REPLY: u64 = 1 << 30;

/// The client end of 十二 峰哥解决粘包的方法: a remote shell with framed replies.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8012", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Show each reply in a few lines: its size, its first and last lines
    #[arg(long)]
    brief: bool,
}
