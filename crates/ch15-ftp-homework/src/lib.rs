//! 十五 作业 — the homework: a multi-user FTP server that a small team could really use.
//!
//! The nine requirements, and where each lives:
//!
//! 1. encrypted user authentication — [`auth`] (a salted, slow-derived key and a
//!    challenge-response; the password never crosses the wire), [`login`]
//! 2. several users logged in at once — `src/bin/server.rs`: a thread per call, as in ch14,
//!    with [`switchboard`] limiting how many
//! 3. each user has a home directory and can reach nothing outside it — [`vpath`] for the
//!    paths users type, [`cap_std`] for the file system under the home (it refuses symlinks
//!    out)
//! 4. a disk quota per user — [`quota`]
//! 5. moving between directories (cd) and 6. listing files (ls) — [`cmd`]
//! 7. upload and download with md5 checked — [`transfer`] hashes while streaming; a file gets
//!    its final name only once the md5 matched
//! 8. a progress bar — `src/bin/client.rs`, with indicatif
//! 9. resuming an interrupted transfer — [`cmd`] (put) and [`remote`] (get): partial files
//!    are kept and continued, and the md5 covers the whole file
//!
//! The wire protocol is in [`proto`]: every request and every reply is a ch12 frame. A call,
//! from accept to hang-up, is [`session`]; its deadlines are [`conn`]'s; what calls share is
//! [`server`]; the user management subcommands are [`admin`].

pub mod admin;
pub mod auth;
pub mod cmd;
pub mod conn;
pub mod login;
pub mod prompt;
pub mod proto;
pub mod quota;
pub mod remote;
pub mod server;
pub mod session;
pub mod switchboard;
pub mod transfer;
pub mod users;
pub mod vpath;

/// Text a client sent, made safe for a log line: control characters (a newline, an escape
/// sequence) are written as escapes, so that they cannot forge a line or colour a terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
