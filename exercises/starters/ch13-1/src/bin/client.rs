//! Exercise ch13-1 — ch12's remote-shell client, which must pass chapter 十三's exam before it
//! sends a command: `answer_challenge` below.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch12_struct_header::{Reply, recv_data, recv_header};
use ch13_hmac_auth::KeyArg;
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();
    // The secret: from --key or the environment.
    let key = args.key.require()?;

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    // The exam comes before anything else.
    answer_challenge(&mut phone, &key)?;

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
        support::show_reply(&reply);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The exam, the client's side: recv the challenge, send HMAC-SHA256(key, challenge).
///
/// Not written yet: it answers nothing.
fn answer_challenge(_phone: &mut TcpStream, _key: &[u8]) -> anyhow::Result<()> {
    Ok(())
}

/// The longest reply this client accepts: a lying server must not make it take all memory.
const MAX_REPLY: u64 = 1 << 30;

/// Exercise ch13-1: ch12's remote-shell client, which passes the exam first.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8013", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    key: KeyArg,
}
