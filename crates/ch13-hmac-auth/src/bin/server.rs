//! 十三 认证客户端的链接合法性 — the server end.
//!
//! ch07's upper-case echo server with a door in front: every caller first gets 32 random
//! bytes, the challenge, and must answer HMAC-SHA256(key, challenge) within a time limit.
//! A caller with the right answer is served; anyone else is hung up on. Still one caller at a
//! time, so a caller who passed and then sits silent keeps everyone else waiting.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::Context;
use ch13_hmac_auth::{ANSWER_LEN, CHALLENGE_LEN, KeyArg, hex};
use clap::Parser;
use socket2::{Domain, Socket, Type};
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();
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

    // The link loop: one caller after another.
    loop {
        // accept(): pick up.
        let (conn, addr) = phone.accept()?;
        println!("call from {addr}");
        match talk(conn, &key, args.auth_timeout) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The article's data_handler: check the caller, then the comm loop of ch07.
fn talk(mut conn: TcpStream, key: &[u8], auth_timeout: Duration) -> io::Result<()> {
    if !conn_auth(&mut conn, key, auth_timeout)? {
        // 该链接不合法,关闭: returning drops `conn`, which closes the connection.
        return Ok(());
    }
    // 链接合法,开始通信: the comm loop, recv(1024) and sendall() the same in upper case.
    let mut buf = [0u8; 1024];
    loop {
        let n = conn.read(&mut buf)?;
        println!("recv {}", py_bytes(&buf[..n]));
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n].to_ascii_uppercase())?;
    }
}

/// The handshake, the server's side: send a fresh challenge, and check that the answer is
/// HMAC-SHA256(key, challenge). Says whether the caller may be served.
fn conn_auth(conn: &mut TcpStream, key: &[u8], auth_timeout: Duration) -> io::Result<bool> {
    // os.urandom(32): new random bytes from the operating system for every call, so an
    // answer overheard on an earlier call is no answer to this one.
    let mut challenge = [0u8; CHALLENGE_LEN];
    getrandom::fill(&mut challenge)?;
    conn.write_all(&challenge)?;
    println!("send challenge {}", hex(&challenge));

    // recv() the answer: 32 bytes, however many pieces they come in, within the time limit.
    let mut answer = [0u8; ANSWER_LEN];
    match recv_answer(conn, &mut answer, auth_timeout)? {
        // hmac.compare_digest: a constant-time comparison with what we compute ourselves.
        Received::All if ch13_hmac_auth::is_right(key, &challenge, &answer) => {
            println!("answer {}: right, serving", hex(&answer));
            return Ok(true);
        }
        Received::All => println!("answer {}: wrong, hanging up", hex(&answer)),
        Received::HungUp(n) => println!(
            "answer {} ({n} of {ANSWER_LEN} bytes): too short, the caller hung up",
            py_bytes(&answer[..n])
        ),
        Received::Late(n) => println!(
            "answer {} ({n} of {ANSWER_LEN} bytes): timed out after {auth_timeout:?}, hanging up",
            py_bytes(&answer[..n])
        ),
    }
    Ok(false)
}

/// How much of the answer came.
enum Received {
    /// All of it.
    All,
    /// This many bytes, then the caller hung up.
    HungUp(usize),
    /// This many bytes when time ran out.
    Late(usize),
}

/// Fills `buf` like read_exact, recv after recv, but gives the caller `limit` in all. (A read
/// timeout alone starts again with every recv: a caller sending one byte at a time could hold
/// this one-at-a-time server for as long as it liked.)
fn recv_answer(conn: &mut TcpStream, buf: &mut [u8], limit: Duration) -> io::Result<Received> {
    let deadline = Instant::now() + limit;
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Received::Late(got));
        }
        conn.set_read_timeout(Some(left))?;
        match conn.read(&mut buf[got..]) {
            Ok(0) => return Ok(Received::HungUp(got)),
            Ok(n) => got += n,
            // A timed-out recv: WouldBlock on Unix, TimedOut on Windows.
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(Received::Late(got));
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    // After the handshake, recv waits as long as the caller likes again.
    conn.set_read_timeout(None)?;
    Ok(Received::All)
}

/// The server end of 十三 认证客户端的链接合法性: an upper-case echo for callers with the key.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8013", value_parser = support::parse_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    key: KeyArg,
    /// How long a caller has to answer the challenge, in seconds (e.g. 5 or 0.5)
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    auth_timeout: Duration,
}

/// Parses `--auth-timeout`: a positive number of seconds.
fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>().map(Duration::try_from_secs_f64) {
        Ok(Ok(secs)) if !secs.is_zero() => Ok(secs),
        _ => Err("expected a positive number of seconds, e.g. 5 or 0.5".into()),
    }
}
