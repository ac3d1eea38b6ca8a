//! 十三 认证客户端的链接合法性 — the client end: ch07's client, which first passes the exam.
//!
//! It answers the server's challenge with HMAC-SHA256(key, challenge), then each line you type
//! is sent, and the answer printed, as in ch07. The article's two illegal clients are options:
//! `--skip-auth` never answers the challenge, and a wrong `--key` answers it wrongly. The
//! server hangs up on both.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch13_hmac_auth::{CHALLENGE_LEN, KeyArg, is_hang_up, why_hung_up};
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();
    // The secret: from --key or the environment. The client that skips the exam needs none.
    let key = if args.skip_auth {
        None
    } else {
        Some(args.key.require()?)
    };

    // socket() + connect(): dial the server's number. (Rust does both in one call.)
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    // The exam comes before anything else.
    if let Some(key) = &key {
        answer_challenge(&mut phone, key)?;
    }

    let mut buf = [0u8; 1024];
    let mut replies = 0;
    for msg in support::input(">>: ") {
        // An empty line would send 0 bytes and wait for ever: skip it.
        if msg.is_empty() {
            continue;
        }
        if msg == "quit" {
            break;
        }

        // send(): say something.
        phone.write_all(msg.as_bytes())?;
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): wait for the answer. 0 bytes (or a reset line) means the server hung up.
        let n = match phone.read(&mut buf) {
            Err(error) if is_hang_up(&error) => 0,
            result => result?,
        };
        println!("recv {}", py_bytes(&buf[..n]));
        if n == 0 {
            println!("the server hung up{}", why_hung_up(args.skip_auth, replies));
            break;
        }
        replies += 1;
    }

    // close(): hang up. (Dropping the socket closes it.)
    drop(phone);
    Ok(())
}

/// The exam, the client's side: recv the 32-byte challenge, sendall HMAC-SHA256(key, it).
fn answer_challenge(phone: &mut TcpStream, key: &[u8]) -> anyhow::Result<()> {
    // recv(32), in a loop until all 32 bytes are in: one recv may return fewer. No time limit
    // here: a server busy with another caller sends our challenge only when that one leaves.
    let mut challenge = [0u8; CHALLENGE_LEN];
    phone
        .read_exact(&mut challenge)
        .context("the server sent no challenge")?;
    println!("recv challenge {}", hex::encode(challenge));

    // hmac.new(key, challenge, 'sha256').digest(): only someone with the key can compute it.
    let answer = ch13_hmac_auth::answer(key, &challenge);
    phone.write_all(&answer)?;
    println!("send answer {}", hex::encode(answer));
    Ok(())
}

/// The client end of 十三 认证客户端的链接合法性: passes the exam, then sends each line.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8013", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    key: KeyArg,
    /// Do not answer the challenge: the article's first illegal client
    #[arg(long)]
    skip_auth: bool,
}
