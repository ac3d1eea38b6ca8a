//! Exercise ch13-1, a solution — ch12's remote shell, with chapter 十三's exam in front: a
//! caller who cannot answer the challenge never gets to send a command.
//!
//! Every reply is one frame, as in ch12: 4 bytes that give the header's length, a JSON header
//! that gives the data's size, then the data.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::Context;
use ch12_struct_header::{Reply, pack_header};
use ch13_hmac_auth::{ANSWER_LEN, CHALLENGE_LEN, KeyArg, Received, recv_answer};
use clap::Parser;
use rand::TryRngCore;
use rand::rngs::OsRng;
use socket2::{Domain, Socket, Type};
use support::{py_bytes, shell};

fn main() -> support::Result {
    let args = Args::parse();
    // This server runs any command it is sent: only this machine may reach it, unless you insist.
    shell::refuse_remote(args.addr, args.allow_remote)?;
    // The secret the callers must prove they know: from --key or the environment.
    let key = args.key.require()?;

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop: one client after another.
    loop {
        // accept(): pick up.
        let (mut conn, addr) = phone.accept()?;
        println!("call from {addr}");

        // conn_auth(): the exam comes first. No right answer, no service.
        if !conn_auth(&mut conn, &key, args.auth_timeout) {
            drop(conn);
            println!("call from {addr} ended");
            continue;
        }

        match talk(conn) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The article's conn_auth: send a fresh challenge, and check that the answer is
/// HMAC-SHA256(key, challenge), given within `limit`. Says whether the caller may be served.
fn conn_auth(conn: &mut TcpStream, key: &[u8], limit: Duration) -> bool {
    // os.urandom(32): new random bytes for every call, so that no answer can be replayed.
    let mut challenge = [0u8; CHALLENGE_LEN];
    if OsRng.try_fill_bytes(&mut challenge).is_err() || conn.write_all(&challenge).is_err() {
        return false;
    }
    println!("send challenge {}", hex::encode(challenge));

    // The answer: 32 bytes, however many pieces they come in, within the time limit.
    let mut answer = [0u8; ANSWER_LEN];
    match recv_answer(conn, &mut answer, limit) {
        // hmac.compare_digest: a comparison in constant time.
        Ok(Received::All) if ch13_hmac_auth::is_right(key, &challenge, &answer) => {
            println!("answer {}: right, serving", hex::encode(answer));
            true
        }
        outcome => {
            println!("no right answer ({outcome:?}): hanging up");
            false
        }
    }
}

/// The comm loop: a command in, its output back, until the client hangs up.
fn talk(mut conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    loop {
        // recv(1024): the command. 0 bytes: the client hung up.
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        println!("recv {}", py_bytes(&buf[..n]));
        let out = shell::run(&String::from_utf8_lossy(&buf[..n]));

        // The reply carries both: the errors, then the output.
        let mut data = out.stderr;
        data.extend_from_slice(&out.stdout);

        // The frame: struct.pack('i', len(header)), the JSON header, then the data.
        let header = Reply {
            data_size: data.len() as u64,
        };
        let mut frame = pack_header(&header)?;
        println!("send {} and {} bytes of data", py_bytes(&frame), data.len());
        frame.extend_from_slice(&data);
        conn.write_all(&frame)?;
    }
}

/// Exercise ch13-1: ch12's remote shell, for callers with the key.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8013", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Allow listening on an address other machines can reach (anyone there can run commands)
    #[arg(long)]
    allow_remote: bool,
    #[command(flatten)]
    key: KeyArg,
    /// How long a caller has to answer the challenge, in seconds (e.g. 5 or 0.5)
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = support::parse_secs)]
    auth_timeout: Duration,
}
