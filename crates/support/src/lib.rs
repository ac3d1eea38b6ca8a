//! The helpers every chapter shares, so that each chapter's `main` is only about sockets.
//!
//! - [`py_bytes`] prints bytes the way Python prints a `bytes` object (`b'hello'`), so the
//!   output matches the article's `print(data)`.
//! - [`input`] reads stdin line by line like Python's `input('>>: ').strip()`, showing the
//!   prompt only when a person is typing (or [`show_prompts`] is asked to).
//! - [`Result`] makes `main` print a failure as one line: `Error: could not bind ...: Address
//!   already in use (os error 98)`.
//! - [`parse_addr`] turns `HOST:PORT` into an address for clap, with a clear error.
//! - [`shell`] runs the remote shell's commands (chapters 九 to 十二) with limits.
//! - [`pace`] parses the flags that take seconds, sizes and rates, and paces a transfer to a
//!   rate (`--limit-rate 5M`).

pub mod pace;
pub mod shell;

pub use pace::{Throttle, parse_rate, parse_secs, parse_size};

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{SocketAddr, ToSocketAddrs};

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

/// Prints a remote shell's reply as the article's clients do (`print(data.decode())`), under a
/// line that says how many bytes it was, so you can see where each reply was cut: `[1024 bytes]`.
/// Output that is not UTF-8 is shown with replacement characters.
pub fn show_reply(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let newline = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    print!("[{} bytes]\n{text}{newline}", data.len());
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
