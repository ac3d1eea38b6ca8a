//! The helpers every chapter shares, so that each chapter's `main` is only about sockets.
//!
//! - [`py_bytes`] prints bytes the way Python prints a `bytes` object (`b'hello'`), so the
//!   output matches the article's `print(data)`.
//! - [`input`] reads stdin line by line like Python's `input('>>: ').strip()`, showing the
//!   prompt only when a person is typing (or [`show_prompts`] is asked to).
//! - [`Result`] makes `main` print a failure as one line: `Error: could not bind ...: Address
//!   already in use (os error 98)`.
//! - [`parse_addr`] turns `HOST:PORT` into an address for clap, with a clear error;
//!   [`client_bind_addr`] says where a UDP client binds to reach its peers.
//! - [`print_reply`] shows a remote shell's reply, whole or (`--brief`) in a few lines.
//! - [`shell`] runs the remote shell's commands (chapters 九 to 十二) with limits.
//! - [`pace`] parses the flags that take seconds, sizes and rates, and paces a transfer to a
//!   rate (`--limit-rate 5M`).

pub mod pace;
pub mod shell;

pub use pace::{Throttle, parse_rate, parse_secs, parse_size};

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// What `main` returns in every chapter: `?` works on any error, and a failure is printed as
/// one line with its causes, e.g. `Error: could not connect to 127.0.0.1:8007: Connection
/// refused (os error 111)`.
pub type Result<T = ()> = std::result::Result<T, OneLine>;

#[doc(hidden)]
pub use anyhow;

/// Like `anyhow::ensure!`, for any function whose error type `anyhow::Error` converts into,
/// `main`'s [`Result`] included: `support::ensure!(n > 0, "the server hung up")`.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err($crate::anyhow::anyhow!($($message)+).into());
        }
    };
}

/// Like `anyhow::bail!`, for any function whose error type `anyhow::Error` converts into.
#[macro_export]
macro_rules! bail {
    ($($message:tt)+) => {
        return Err($crate::anyhow::anyhow!($($message)+).into())
    };
}

/// An error that prints itself and its causes on one line (see [`Result`]).
pub struct OneLine(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for OneLine {
    fn from(error: E) -> Self {
        OneLine(error.into())
    }
}

impl fmt::Debug for OneLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` is anyhow's "outer context: inner cause: root cause" on one line.
        write!(f, "{:#}", self.0)
    }
}

/// Formats bytes the way Python's `repr(bytes)` does: `b'hello\n'`, `b"it's"`, `b'\xe4\xbd\xa0'`.
pub fn py_bytes(data: &[u8]) -> String {
    // Python prefers single quotes, and switches to double quotes only when the data holds a
    // single quote and no double quote.
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(data.len() + 3);
    out.push('b');
    out.push(quote);
    for &byte in data {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if byte == quote as u8 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(quote);
    out
}

/// [`py_bytes`] for an error message, which must stay one short line: at most the first 40
/// bytes, then how many there were: `b'46\n1247\n1248\n'… (1024 bytes)`.
pub fn py_bytes_head(data: &[u8]) -> String {
    const SHOWN: usize = 40;
    match data.get(..SHOWN) {
        Some(head) if data.len() > SHOWN => format!("{}… ({} bytes)", py_bytes(head), data.len()),
        _ => py_bytes(data),
    }
}

/// Prints a remote shell's reply as the article's clients do (`print(data.decode())`), under a
/// line that says how many bytes it was, so you can see where each reply was cut: `[1024 bytes]`.
/// Output that is not UTF-8 is shown with replacement characters.
pub fn show_reply(data: &[u8]) {
    print_reply(data, false);
}

/// Prints a remote shell's reply as [`show_reply`] does, or, when `brief` (a client's
/// `--brief`), as [`brief_reply`] does: its size and its first and last lines only.
pub fn print_reply(data: &[u8], brief: bool) {
    if brief {
        print!("{}", brief_reply(data));
        return;
    }
    let text = String::from_utf8_lossy(data);
    let newline = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    print!("[{} bytes]\n{text}{newline}", data.len());
}

/// A reply in a few lines, so that a long one does not push the lesson off the screen: the
/// `[N bytes]` line, then the first and the last line of the text with the number of lines
/// between them, each long line shortened to its start and end. Where the reply ends in the
/// middle of a line, that is said, since the next reply starts with the rest of it.
///
/// ```text
/// [1024 bytes]
/// 1 2 3 4 5 6 7 8 9 10 11 12 13 14 … 277 278 279 280 281 282 283
/// (ends in the middle of a line)
/// ```
pub fn brief_reply(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = format!("[{} bytes]\n", data.len());
    let shown: Vec<String> = match lines.as_slice() {
        [first, middle @ .., last] if middle.len() > 1 => vec![
            shorten(first),
            format!("… {} more lines …", middle.len()),
            shorten(last),
        ],
        _ => lines.iter().map(|line| shorten(line)).collect(),
    };
    for line in shown {
        out.push_str(&line);
        out.push('\n');
    }
    if !text.is_empty() && !text.ends_with('\n') {
        out.push_str("(ends in the middle of a line)\n");
    }
    out
}

/// A line of about 64 characters at most: a longer one keeps its first and last 30 or so,
/// cut between words where it has spaces.
fn shorten(line: &str) -> String {
    const KEEP: usize = 30;
    let count = line.chars().count();
    if count <= 2 * KEEP + 4 {
        return line.to_owned();
    }
    let head: String = line.chars().take(KEEP).collect();
    let tail: String = line.chars().skip(count - KEEP).collect();
    let head = head
        .rsplit_once(' ')
        .map_or(head.as_str(), |(words, _)| words);
    let tail = tail
        .split_once(' ')
        .map_or(tail.as_str(), |(_, words)| words);
    format!("{head} … {tail}")
}

/// Lines typed on stdin, each stripped of surrounding white space, like Python's
/// `input(prompt).strip()` in a loop. The prompt is shown only when a person types (see
/// [`show_prompts`]), so piped input (tests) gives clean output. The iterator ends at end of
/// input.
pub fn input(prompt: &str) -> impl Iterator<Item = String> + '_ {
    let interactive = show_prompts();
    let mut stdin = io::stdin().lock();
    std::iter::from_fn(move || {
        if interactive {
            print!("{prompt}");
            io::stdout().flush().ok()?;
        }
        let mut line = Vec::new();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(String::from_utf8_lossy(&line).trim().to_owned()),
        }
    })
}

/// Whether a client shows its prompt (`>>: `): when stdin is a terminal, or when the
/// environment says `SOCKET_LESSONS_PROMPT=1`. `scripts/demo` sets it and types one line at a
/// time, so that its transcripts read like a terminal: `>>: hello`, then the reply.
pub fn show_prompts() -> bool {
    io::stdin().is_terminal() || std::env::var_os("SOCKET_LESSONS_PROMPT").is_some_and(|v| v == "1")
}

/// Where a UDP client binds its socket: port 0 (the kernel picks one), on loopback when every
/// peer is on this machine, else on every interface, in the peers' family (IPv4 or IPv6).
/// Python does this for you: an unbound UDP socket is bound to `0.0.0.0` and a free port by its
/// first `sendto`. Rust asks us to say it.
pub fn client_bind_addr(peers: impl IntoIterator<Item = SocketAddr>) -> SocketAddr {
    let mut v6 = false;
    let mut loopback = true;
    for peer in peers {
        v6 |= peer.is_ipv6();
        loopback &= peer.ip().is_loopback();
    }
    let ip = match (v6, loopback) {
        (false, true) => Ipv4Addr::LOCALHOST.into(),
        (false, false) => Ipv4Addr::UNSPECIFIED.into(),
        (true, true) => Ipv6Addr::LOCALHOST.into(),
        (true, false) => Ipv6Addr::UNSPECIFIED.into(),
    };
    SocketAddr::new(ip, 0)
}

/// Parses `HOST:PORT` (a name such as `localhost:8007` is looked up) for clap's `value_parser`.
pub fn parse_addr(text: &str) -> std::result::Result<SocketAddr, String> {
    let expected = "expected HOST:PORT, e.g. 127.0.0.1:8007";
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|error| format!("{error} ({expected})"))?;
    addrs
        .next()
        .ok_or_else(|| format!("no address found for '{text}' ({expected})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_of_bytes_is_cut_for_a_message() {
        assert_eq!(py_bytes_head(b"lots"), "b'lots'");
        let long = b"1\n".repeat(100);
        assert_eq!(
            py_bytes_head(&long),
            format!("{}… (200 bytes)", py_bytes(&long[..40]))
        );
    }

    #[test]
    fn bytes_print_like_python() {
        // Each expected string is what `python3 -c "print(repr(b'...'))"` prints.
        assert_eq!(py_bytes(b""), "b''");
        assert_eq!(py_bytes(b"hello"), "b'hello'");
        assert_eq!(py_bytes(b"a\tb\r\n"), "b'a\\tb\\r\\n'");
        assert_eq!(py_bytes(b"it's"), "b\"it's\"");
        assert_eq!(py_bytes(b"both ' and \""), "b'both \\' and \"'");
        assert_eq!(py_bytes(b"back\\slash"), "b'back\\\\slash'");
        assert_eq!(py_bytes("你".as_bytes()), "b'\\xe4\\xbd\\xa0'");
        assert_eq!(py_bytes(&[0, 0x7f, 0xff]), "b'\\x00\\x7f\\xff'");
    }

    #[test]
    fn errors_print_on_one_line() {
        let error = anyhow::anyhow!("Connection refused").context("could not connect to x");
        assert_eq!(
            format!("{:?}", OneLine(error)),
            "could not connect to x: Connection refused"
        );
    }

    #[test]
    fn clients_bind_where_their_peers_can_answer() {
        let local: SocketAddr = "127.0.0.1:8018".parse().unwrap();
        let far: SocketAddr = "192.0.2.1:8018".parse().unwrap();
        let local6: SocketAddr = "[::1]:8018".parse().unwrap();
        let far6: SocketAddr = "[2001:db8::1]:8018".parse().unwrap();
        assert_eq!(client_bind_addr([local]).to_string(), "127.0.0.1:0");
        assert_eq!(client_bind_addr([far]).to_string(), "0.0.0.0:0");
        assert_eq!(client_bind_addr([local, far]).to_string(), "0.0.0.0:0");
        assert_eq!(client_bind_addr([local6]).to_string(), "[::1]:0");
        assert_eq!(client_bind_addr([far6]).to_string(), "[::]:0");
    }

    #[test]
    fn a_brief_reply_keeps_its_size_and_its_ends() {
        let seq: String = (1..=1000).map(|i| format!("{i}\n")).collect();
        // ch09's first reply to `seq 1 1000`: 1024 bytes, "1" to "283".
        assert_eq!(
            brief_reply(&seq.as_bytes()[..1024]),
            "[1024 bytes]\n1\n… 281 more lines …\n283\n"
        );
        // A reply cut in the middle of "278" says so: the next one starts with the rest.
        assert_eq!(
            brief_reply(&seq.as_bytes()[..1002]),
            "[1002 bytes]\n1\n… 276 more lines …\n27\n(ends in the middle of a line)\n"
        );
        // One long line (`seq -s ' ' 1 600`) is shortened to its start and its end.
        let long: String = (1..=600).map(|i| format!("{i} ")).collect();
        assert_eq!(
            brief_reply(&long.as_bytes()[..1024]),
            "[1024 bytes]\n1 2 3 4 5 6 7 8 9 10 11 12 13 … 277 278 279 280 281 282 283 \n\
             (ends in the middle of a line)\n"
        );
        // Short replies are shown whole; an empty one is its size alone.
        assert_eq!(brief_reply(b"hello\n"), "[6 bytes]\nhello\n");
        assert_eq!(brief_reply(b"a\nb\nc\n"), "[6 bytes]\na\nb\nc\n");
        assert_eq!(brief_reply(b""), "[0 bytes]\n");
        assert_eq!(
            brief_reply("你好\n世界\n".repeat(40).as_bytes()),
            "[560 bytes]\n你好\n… 78 more lines …\n世界\n"
        );
    }

    #[test]
    fn addresses_parse_or_explain() {
        assert_eq!(
            parse_addr("127.0.0.1:8007").unwrap(),
            "127.0.0.1:8007".parse().unwrap()
        );
        assert!(parse_addr("localhost:8007").unwrap().ip().is_loopback());
        let error = parse_addr("8007").unwrap_err();
        assert!(error.contains("expected HOST:PORT"), "{error}");
    }
}
