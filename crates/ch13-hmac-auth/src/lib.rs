//! 十三 认证客户端的链接合法性 — what both ends share: the key, the sizes, and the HMAC; and
//! what is not the lesson: the `--key` option, reading the answer within a time limit, and
//! telling a hang-up from other errors.
//!
//! The server sends a fresh random challenge; the client proves that it knows the key by
//! answering HMAC-SHA256(key, challenge); the server computes the same and compares the two in
//! constant time. The key itself never crosses the wire.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The challenge: 32 random bytes, as the article's `os.urandom(32)`.
pub const CHALLENGE_LEN: usize = 32;

/// The answer: an HMAC-SHA256 digest, 32 bytes.
pub const ANSWER_LEN: usize = 32;

/// Where both ends look for the key when `--key` is not given, so that it need not be typed
/// on a command line (which lands in your shell history and in `ps` for every user to see).
pub const KEY_ENV: &str = "SOCKET_LESSONS_KEY";

type HmacSha256 = Hmac<Sha256>;

/// The `--key` option of both ends (`#[command(flatten)]` it into a program's arguments).
#[derive(clap::Args)]
pub struct KeyArg {
    /// The secret key shared by the server and its clients (better: set it in the environment)
    #[arg(long, env = KEY_ENV, hide_env_values = true)]
    key: Option<String>,
}

impl KeyArg {
    /// The key, from `--key` or else the environment variable, as bytes. There is no default:
    /// a key printed in a tutorial is known to everyone, so it would keep no one out.
    pub fn require(self) -> anyhow::Result<Vec<u8>> {
        match self.key {
            Some(key) if !key.is_empty() => Ok(key.into_bytes()),
            _ => anyhow::bail!(
                "no key: set {KEY_ENV}=... or give --key KEY (the same key on the server and the client)"
            ),
        }
    }
}

/// The answer to a challenge: Python's `hmac.new(key, challenge, 'sha256').digest()`.
pub fn answer(key: &[u8], challenge: &[u8]) -> [u8; ANSWER_LEN] {
    hmac(key, challenge).finalize().into_bytes().into()
}

/// Whether `answer` is the right answer to `challenge`, compared in constant time like Python's
/// `hmac.compare_digest`: however many bytes are right, the comparison takes just as long.
pub fn is_right(key: &[u8], challenge: &[u8], answer: &[u8]) -> bool {
    hmac(key, challenge).verify_slice(answer).is_ok()
}

fn hmac(key: &[u8], msg: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (a long one is hashed first), so this cannot fail.
    HmacSha256::new_from_slice(key)
        .expect("HMAC takes keys of any length")
        .chain_update(msg)
}

/// How much of the answer came, by [`recv_answer`].
#[derive(Debug, PartialEq)]
pub enum Received {
    /// All of it.
    All,
    /// This many bytes, then the caller hung up.
    HungUp(usize),
    /// This many bytes when time ran out.
    Late(usize),
}

/// Fills `buf` like `read_exact`, recv after recv, but gives the caller `limit` in all. (A read
/// timeout alone starts again with every recv: a caller sending one byte at a time could hold
/// a one-at-a-time server for as long as it liked.) Afterwards, recv waits as long as the
/// caller likes again.
pub fn recv_answer(conn: &mut TcpStream, buf: &mut [u8], limit: Duration) -> io::Result<Received> {
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
    conn.set_read_timeout(None)?;
    Ok(Received::All)
}

/// Whether an error means that the other end hung up: it may reset the line rather than close
/// it, when our bytes reach it after it has stopped reading.
pub fn is_hang_up(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// Why the server may have hung up on a client, for the end of its `the server hung up` line.
/// Nothing on the wire says that an answer was wrong: a server that hangs up before its first
/// reply is telling us so.
pub fn why_hung_up(skipped_auth: bool, replies: usize) -> &'static str {
    match (skipped_auth, replies) {
        (true, _) => ": we never answered its challenge",
        (false, 0) => ": wrong key?",
        (false, _) => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_what_pythons_hmac_computes() {
        // What python3 prints for hmac.new(b'key', b'The quick brown fox jumps over the lazy
        // dog', 'sha256').hexdigest().
        let answer = answer(b"key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            hex::encode(answer),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn only_the_right_answer_is_right() {
        let challenge = [7u8; CHALLENGE_LEN];
        let right = answer(b"key", &challenge);
        assert!(is_right(b"key", &challenge, &right));
        assert!(!is_right(b"other", &challenge, &right));
        assert!(!is_right(b"key", &[8u8; CHALLENGE_LEN], &right));
        let mut flipped = right;
        flipped[31] ^= 1;
        assert!(!is_right(b"key", &challenge, &flipped));
        // A prefix of the right answer is not an answer (no truncated tags).
        assert!(!is_right(b"key", &challenge, &right[..16]));
        assert!(!is_right(b"key", &challenge, b""));
    }

    #[test]
    fn a_key_is_required() {
        let given = KeyArg {
            key: Some("k".into()),
        };
        assert_eq!(given.require().unwrap(), b"k");
        for key in [None, Some(String::new())] {
            let error = KeyArg { key }.require().unwrap_err().to_string();
            assert!(error.contains("SOCKET_LESSONS_KEY"), "{error}");
        }
    }
}
