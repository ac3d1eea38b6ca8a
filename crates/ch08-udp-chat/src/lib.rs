//! What the three UDP programs of 八 share but is not the lesson: a server's patience with a
//! failed `recvfrom`, how the QQ chat shows a message, the chat client's contact book and its
//! two questions, and the time server's strftime. The socket calls themselves stay in each
//! program's `main`. (Where a client's socket binds is `support::client_bind_addr`: chapter
//! 九's UDP client binds the same way.)

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write as _};
use std::net::{SocketAddr, UdpSocket};

use chrono::format::StrftimeItems;
use chrono::{DateTime, TimeZone};

/// How many bytes each `recvfrom` takes, as in the article (`BUFSIZE=1024`). A longer datagram
/// is cut to this size and the rest is lost: chapter 九 shows it.
pub const BUFSIZE: usize = 1024;

/// A server's `recvfrom(1024)`: waits for the next datagram and returns it with its sender.
///
/// An error here belongs to one datagram, not to the server, so it is printed and the server
/// waits for the next one. (On Windows, when an earlier answer reached a port that had closed,
/// the next `recvfrom` fails with `WSAECONNRESET`, and the article's servers die of it; a
/// datagram bigger than the buffer fails with `WSAEMSGSIZE`.)
pub fn recv_from<'b>(phone: &UdpSocket, buf: &'b mut [u8]) -> (&'b [u8], SocketAddr) {
    loop {
        match phone.recv_from(buf) {
            Ok((n, addr)) => return (&buf[..n], addr),
            Err(error) => println!("recvfrom failed: {error}"),
        }
    }
}

/// The QQ chat's line for a message, the article's
/// `'来自[%s:%s]的一条消息:\033[1;44m%s\033[0m' % (addr[0], addr[1], msg.decode('utf-8'))`:
/// who sent it, then the text, highlighted (bold on blue) when `colour` is on.
///
/// Unlike the article, text that is not UTF-8 does not crash the program (it is decoded with
/// U+FFFD for the bad bytes), and control characters a stranger sends are shown escaped
/// (`\u{1b}`) instead of being obeyed by your terminal.
pub fn message_line(addr: SocketAddr, msg: &[u8], colour: bool) -> String {
    let mut text = String::new();
    for c in String::from_utf8_lossy(msg).chars() {
        if c.is_control() {
            text.extend(c.escape_debug());
        } else {
            text.push(c);
        }
    }
    if colour {
        format!("message from [{addr}]: \x1b[1;44m{text}\x1b[0m")
    } else {
        format!("message from [{addr}]: {text}")
    }
}

/// Whether to colour the chat's messages: only when a person watches stdout, so piped output
/// (tests, `scripts/demo`) carries no escape codes.
pub fn colour() -> bool {
    io::stdout().is_terminal()
}

/// Questions asked on stdin, one line each, stripped like Python's `input(prompt).strip()`.
/// The chat client asks two different questions from one stdin, so it cannot use two
/// `support::input` iterators (each holds stdin); this shows each question's prompt where
/// `support::input` would (`support::show_prompts`) and reads the answer from one of them.
pub struct Keyboard {
    interactive: bool,
    lines: Box<dyn Iterator<Item = String>>,
}

impl Keyboard {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Keyboard {
        Keyboard {
            interactive: support::show_prompts(),
            lines: Box::new(support::input("")),
        }
    }

    /// The next line, after showing `prompt` to a person; `None` at end of input.
    pub fn ask(&mut self, prompt: &str) -> Option<String> {
        if self.interactive {
            print!("{prompt}");
            io::stdout().flush().ok()?;
        }
        self.lines.next()
    }
}

/// The chat client's contact book: names and the address each one is reached at, in the order
/// they were added (the article's `qq_name_dic`), numbered from 1.
pub struct ContactBook(Vec<(String, SocketAddr)>);

impl ContactBook {
    /// The article's four friends, all at `addr`: the article has them all on 127.0.0.1:8081,
    /// one server standing in for everybody.
    pub fn articles(addr: SocketAddr) -> ContactBook {
        let names = ["狗哥alex", "瞎驴", "一棵树", "武大郎"];
        ContactBook(names.map(|name| (name.to_owned(), addr)).into())
    }

    /// Adds a contact, or moves an existing name to a new address.
    pub fn add(&mut self, name: String, addr: SocketAddr) {
        match self.0.iter_mut().find(|(known, _)| *known == name) {
            Some(entry) => entry.1 = addr,
            None => self.0.push((name, addr)),
        }
    }

    /// Every address in the book.
    pub fn addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.0.iter().map(|&(_, addr)| addr)
    }

    /// The book as the client shows it, one line each: `1. 狗哥alex at 127.0.0.1:8018`, and a
    /// note for every address that several contacts share (they are one and the same server).
    pub fn listing(&self) -> Vec<String> {
        let mut lines: Vec<String> = (self.0.iter().enumerate())
            .map(|(i, (name, addr))| format!("  {}. {name} at {addr}", i + 1))
            .collect();
        let mut seen: Vec<SocketAddr> = Vec::new();
        for addr in self.addrs() {
            if seen.contains(&addr) {
                continue;
            }
            seen.push(addr);
            let numbers: Vec<String> = (self.0.iter().enumerate())
                .filter(|(_, (_, at))| *at == addr)
                .map(|(i, _)| (i + 1).to_string())
                .collect();
            if let [some @ .., last] = numbers.as_slice()
                && !some.is_empty()
            {
                lines.push(format!(
                    "  ({} and {last} are all the one server at {addr}: it answers for each of them)",
                    some.join(", ")
                ));
            }
        }
        lines
    }

    /// The contact a person means: its number (`1`), its name (`狗哥alex`), or a part of one
    /// name only (`alex`, which needs no Chinese input method). Otherwise, why not.
    pub fn choose(&self, answer: &str) -> Result<(&str, SocketAddr), String> {
        let found = |i: usize| {
            let (name, addr) = &self.0[i];
            (name.as_str(), *addr)
        };
        if let Some(i) = self.0.iter().position(|(name, _)| name == answer) {
            return Ok(found(i));
        }
        if let Ok(number @ 1..) = answer.parse::<usize>() {
            return match number <= self.0.len() {
                true => Ok(found(number - 1)),
                false => Err(format!(
                    "no contact number {number}: choose 1 to {}, or a name",
                    self.0.len()
                )),
            };
        }
        let lower = answer.to_lowercase();
        let matching: Vec<usize> = (0..self.0.len())
            .filter(|&i| !lower.is_empty() && self.0[i].0.to_lowercase().contains(&lower))
            .collect();
        match matching.as_slice() {
            [i] => Ok(found(*i)),
            [] => Err(format!(
                "no contact called {answer:?}: choose a number from 1 to {}, or a name",
                self.0.len()
            )),
            several => Err(format!(
                "{answer:?} could be {}: type more of the name, or its number",
                several
                    .iter()
                    .map(|&i| self.0[i].0.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }
}

/// Parses `NAME=HOST:PORT` for the chat client's `--contact` (clap's `value_parser`).
pub fn parse_contact(text: &str) -> Result<(String, SocketAddr), String> {
    let expected = "expected NAME=HOST:PORT, e.g. alice=127.0.0.1:8018";
    let (name, addr) = text
        .split_once('=')
        .ok_or_else(|| format!("no '=' ({expected})"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("no name before '=' ({expected})"));
    }
    Ok((name.to_owned(), support::parse_addr(addr.trim())?))
}

/// The format the time server uses for an empty datagram, as in the article.
pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%d %X";

/// Python's `time.strftime(fmt)` for a given moment: the time formatted with `fmt`, or why
/// `fmt` cannot be rendered (e.g. `%Q` is no strftime directive, and a lone `%` has none).
///
/// chrono's own shortcut, `now.format(fmt).to_string()`, *panics* on such a format, so a
/// server built on it could be stopped by a single datagram. Here the format is parsed first
/// and every error comes back as a value.
pub fn strftime<Tz>(now: &DateTime<Tz>, fmt: &str) -> Result<String, String>
where
    Tz: TimeZone,
    Tz::Offset: std::fmt::Display,
{
    let items = StrftimeItems::new(fmt)
        .parse()
        .map_err(|_| format!("cannot format the time with {fmt:?}"))?;
    let mut out = String::new();
    write!(out, "{}", now.format_with_items(items.iter()))
        .map_err(|_| format!("cannot format the time with {fmt:?}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    #[test]
    fn messages_show_the_sender_and_only_safe_text() {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(
            message_line(addr, "你好".as_bytes(), false),
            "message from [127.0.0.1:5000]: 你好"
        );
        assert_eq!(
            message_line(addr, b"hi", true),
            "message from [127.0.0.1:5000]: \x1b[1;44mhi\x1b[0m"
        );
        assert_eq!(
            message_line(addr, b"\x1b[2Jbye\xff", false),
            "message from [127.0.0.1:5000]: \\u{1b}[2Jbye\u{fffd}"
        );
    }

    #[test]
    fn the_contact_book_is_numbered_and_says_who_shares_a_server() {
        let server: SocketAddr = "127.0.0.1:8018".parse().unwrap();
        let other: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        let mut book = ContactBook::articles(server);
        assert_eq!(
            book.listing(),
            [
                "  1. 狗哥alex at 127.0.0.1:8018",
                "  2. 瞎驴 at 127.0.0.1:8018",
                "  3. 一棵树 at 127.0.0.1:8018",
                "  4. 武大郎 at 127.0.0.1:8018",
                "  (1, 2, 3 and 4 are all the one server at 127.0.0.1:8018: it answers for each of them)",
            ]
        );
        book.add("瞎驴".to_owned(), other);
        book.add("bob".to_owned(), other);
        assert_eq!(
            book.listing()[4..],
            [
                "  5. bob at 127.0.0.1:9000",
                "  (1, 3 and 4 are all the one server at 127.0.0.1:8018: it answers for each of them)",
                "  (2 and 5 are all the one server at 127.0.0.1:9000: it answers for each of them)",
            ]
        );
    }

    #[test]
    fn a_contact_is_chosen_by_number_name_or_part_of_a_name() {
        let server: SocketAddr = "127.0.0.1:8018".parse().unwrap();
        let mut book = ContactBook::articles(server);
        book.add("Alexa".to_owned(), server);
        for answer in ["1", "狗哥alex", "狗哥"] {
            assert_eq!(book.choose(answer), Ok(("狗哥alex", server)), "{answer}");
        }
        assert_eq!(book.choose("4"), Ok(("武大郎", server)));
        assert_eq!(book.choose("ALEXA"), Ok(("Alexa", server)));
        assert_eq!(book.choose("xa"), Ok(("Alexa", server)));
        for (answer, why) in [
            ("alex", "\"alex\" could be 狗哥alex or Alexa"),
            ("6", "no contact number 6: choose 1 to 5, or a name"),
            ("0", "no contact called \"0\""),
            (
                "nobody",
                "no contact called \"nobody\": choose a number from 1 to 5, or a name",
            ),
        ] {
            let error = book.choose(answer).unwrap_err();
            assert!(error.starts_with(why), "{answer}: {error}");
        }
    }

    #[test]
    fn contacts_parse_or_explain() {
        let (name, addr) = parse_contact("alice=127.0.0.1:9000").unwrap();
        assert_eq!((name.as_str(), addr.port()), ("alice", 9000));
        assert!(
            parse_contact("alice")
                .unwrap_err()
                .contains("NAME=HOST:PORT")
        );
        assert!(
            parse_contact("=127.0.0.1:9000")
                .unwrap_err()
                .contains("no name")
        );
        assert!(
            parse_contact("alice=nowhere")
                .unwrap_err()
                .contains("HOST:PORT")
        );
    }

    #[test]
    fn strftime_renders_good_formats_and_refuses_bad_ones() {
        let moment = FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2017, 4, 26, 9, 5, 7)
            .unwrap();
        assert_eq!(
            strftime(&moment, DEFAULT_TIME_FORMAT).unwrap(),
            "2017-04-26 09:05:07"
        );
        assert_eq!(strftime(&moment, "%Y %m %d").unwrap(), "2017 04 26");
        assert_eq!(strftime(&moment, "").unwrap(), "");
        assert_eq!(strftime(&moment, "no directives").unwrap(), "no directives");
        for bad in ["%Q", "%", "%Y %", "%E", "%.3"] {
            let error = strftime(&moment, bad).unwrap_err();
            assert!(error.starts_with("cannot format the time with"), "{error}");
        }
        assert!(strftime(&Utc::now(), "%c %+ %s %Z").is_ok());
    }
}
