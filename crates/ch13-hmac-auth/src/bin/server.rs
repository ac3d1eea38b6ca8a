//! 十三 认证客户端的链接合法性 — the server end: ch07's server, with a door in front.
//!
//! Every caller first gets 32 random bytes, the challenge, and must answer HMAC-SHA256(key,
//! challenge) within a time limit (`conn_auth`). A caller with the right answer gets ch07's
//! comm loop; anyone else is hung up on. Still one caller at a time, so a caller who passed
//! and then sits silent keeps everyone else waiting.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use ch13_hmac_auth::{ANSWER_LEN, CHALLENGE_LEN, KeyArg, Received, recv_answer};
use clap::Parser;
use rand::TryRngCore;
use rand::rngs::OsRng;
use socket2::{Domain, Socket, Type};
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();
    // The secret the callers must prove they know: from --key or the environment.
    let key = args.key.require()?;

    // socket(): buy a phone. A STREAM socket speaks TCP.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    // SO_REUSEADDR, before bind: reuse the number even while old calls linger in TIME_WAIT.
    phone.set_reuse_address(true)?;
    // bind(): put the SIM card in, so the phone has a number (our address).
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    // listen(5): switch the phone on and wait; up to 5 callers may wait in line.
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop: take one call after another, for ever.
    loop {
        // accept(): a caller rings and we pick up. This blocks until someone calls.
        let (mut conn, addr) = match phone.accept() {
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

        // conn_auth(): the exam comes first. 该链接不合法,关闭: no right answer, no service.
        if !conn_auth(&mut conn, &key, args.auth_timeout) {
            drop(conn);
            println!("call from {addr} ended");
            continue;
        }

        // The comm loop: talk until the caller hangs up.
        let mut buf = [0u8; 1024];
        loop {
            // recv(1024): listen. Blocks until the caller says something.
            let n = match conn.read(&mut buf) {
                Ok(n) => n,
                Err(error) => {
                    println!("recv failed: {error}"); // e.g. the caller's machine reset the line
                    break;
                }
            };
            let data = &buf[..n];
            println!("recv {}", py_bytes(data));

            // 0 bytes means the caller hung up: end this call, go back to accept().
            if data.is_empty() {
                break;
            }

            // send(): answer, in upper case (like Python's bytes.upper()).
            if let Err(error) = conn.write_all(&data.to_ascii_uppercase()) {
                println!("send failed: {error}");
                break;
            }
        }

        // close(): hang up this call; the phone stays on for the next one.
        drop(conn);
        println!("call from {addr} ended");
    }
}

/// The article's conn_auth: send a fresh challenge, and check that the answer is
/// HMAC-SHA256(key, challenge), given within `limit`. Says whether the caller may be served.
fn conn_auth(conn: &mut TcpStream, key: &[u8], limit: Duration) -> bool {
    // os.urandom(32): new random bytes from the operating system for every call, so an
    // answer overheard on an earlier call is no answer to this one.
    let mut challenge = [0u8; CHALLENGE_LEN];
    if let Err(error) = OsRng.try_fill_bytes(&mut challenge) {
        println!("no random bytes for a challenge: {error}");
        return false;
    }
    // sendall(): the challenge.
    if let Err(error) = conn.write_all(&challenge) {
        println!("send failed: {error}");
        return false;
    }
    println!("send challenge {}", hex::encode(challenge));

    // recv() the answer: 32 bytes, however many pieces they come in, within the time limit.
    let mut answer = [0u8; ANSWER_LEN];
    match recv_answer(conn, &mut answer, limit) {
        // hmac.compare_digest: a constant-time comparison with what we compute ourselves.
        Ok(Received::All) if ch13_hmac_auth::is_right(key, &challenge, &answer) => {
            println!("answer {}: right, serving", hex::encode(answer));
            return true;
        }
        Ok(Received::All) => println!("answer {}: wrong, hanging up", hex::encode(answer)),
        Ok(Received::HungUp(n)) => println!(
            "answer {} ({n} of {ANSWER_LEN} bytes): too short, the caller hung up",
            py_bytes(&answer[..n])
        ),
        Ok(Received::Late(n)) => println!(
            "answer {} ({n} of {ANSWER_LEN} bytes): timed out after {limit:?}, hanging up",
            py_bytes(&answer[..n])
        ),
        Err(error) => println!("recv failed: {error}"),
    }
    false
}

/// The server end of 十三 认证客户端的链接合法性: ch07's upper-case echo, for callers with the key.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8013", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    key: KeyArg,
    /// How long a caller has to answer the challenge, in seconds (e.g. 5 or 0.5)
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = support::parse_secs)]
    auth_timeout: Duration,
}
