//! 十三 认证客户端的链接合法性 — the client end.
//!
//! It answers the server's challenge with HMAC-SHA256(key, challenge), then works like ch07's
//! client: each line you type is sent, and the answer printed. The article's two illegal
//! clients are options: `--skip-auth` never answers the challenge, and a wrong `--key` answers
//! it wrongly. The server hangs up on both.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch13_hmac_auth::{CHALLENGE_LEN, KeyArg, hex};
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();
    // The secret: from --key or the environment. The client that skips the handshake needs none.
    let key = if args.skip_auth {
        None
    } else {
        Some(args.key.require()?)
    };

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    // The handshake comes before anything else.
    if let Some(key) = &key {
        answer_challenge(&mut phone, key)?;
    }

    let mut buf = [0u8; 1024];
    let mut served = false;
    for msg in support::input(">>: ") {
        if msg.is_empty() {
            continue;
        }
        if msg == "quit" {
            break;
        }

        // sendall(): say something. (Once the server has hung up, this may fail.)
        match phone.write_all(msg.as_bytes()) {
            Err(error) if closed(&error) => support::bail!("{}", hung_up(args.skip_auth, served)),
            result => result?,
        }
        println!("send {}", py_bytes(msg.as_bytes()));

        // recv(1024): the answer. 0 bytes, or a reset line: the server hung up on us.
        let n = match phone.read(&mut buf) {
            Err(error) if closed(&error) => 0,
            result => result?,
        };
        support::ensure!(n > 0, "{}", hung_up(args.skip_auth, served));
        println!("recv {}", py_bytes(&buf[..n]));
        served = true;
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The handshake, the client's side: recv the 32-byte challenge, sendall HMAC-SHA256(key, it).
fn answer_challenge(phone: &mut TcpStream, key: &[u8]) -> anyhow::Result<()> {
    // recv(32), in a loop until all 32 bytes are in: one recv may return fewer. No time limit
    // here: a server busy with another caller sends our challenge only when that one leaves.
    let mut challenge = [0u8; CHALLENGE_LEN];
    phone
        .read_exact(&mut challenge)
        .context("the server sent no challenge")?;
    println!("recv challenge {}", hex(&challenge));

    // hmac.new(key, challenge, 'sha256').digest(): only someone with the key can compute it.
    let answer = ch13_hmac_auth::answer(key, &challenge);
    phone.write_all(&answer)?;
    println!("send answer {}", hex(&answer));
    Ok(())
}

/// Whether an error means that the server closed the connection (it may reset the line).
fn closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// What to say when the server hangs up on us. Nothing on the wire says whether our answer
/// was right: a server that hangs up before its first reply is telling us it was not.
fn hung_up(skipped_auth: bool, served: bool) -> String {
    let why = match (skipped_auth, served) {
        (true, _) => ": we never answered its challenge",
        (false, false) => ": wrong key?",
        (false, true) => "",
    };
    format!("the server closed the connection{why}")
}

/// The client end of 十三 认证客户端的链接合法性: answers the challenge, then sends each line.
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
