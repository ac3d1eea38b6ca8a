//! The commands of a logged-in user, one module each, as mini-redis keeps its commands in
//! `src/cmd/`: `proto` reads a request's JSON into a [`Request`], and the command's module
//! applies it, to this user's home, and answers.
//!
//! What they share is here: the [`User`], resolving the paths they type, looking at what a
//! path names *without following a link*, and turning a file system error into a refusal the
//! user can understand.

use std::io;
use std::path::PathBuf;

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use sha2::Digest;

use crate::conn::Conn;
use crate::proto::{Reply, Request};
use crate::quota::Account;
use crate::server::Server;
use crate::session::{Problem, refuse};
use crate::vpath::{PARTIAL_DIR, VPath};

mod cd;
mod get;
mod ls;
mod mkdir;
mod put;
mod quota;
mod rm;

/// A logged-in user.
pub struct User {
    pub name: String,
    /// `alice@127.0.0.1:50000`: the start of every line this session prints.
    pub who: String,
    pub account: std::sync::Arc<Account>,
    pub cwd: VPath,
}

// ANCHOR: apply
/// Applies a request of a logged-in user. Returns the reply to send, or `None` if the
/// command sent its own (ls and get: a body or the file follows the reply).
pub fn apply(
    request: Request,
    user: &mut User,
    conn: &mut Conn,
    server: &Server,
) -> Result<Option<Reply>, Problem> {
    let rate = server.settings.limit_rate;
    match request {
        Request::Pwd => Ok(Some(cwd_reply(&user.cwd))),
        Request::Cd { path } => cd::cd(user, &path).map(Some),
        Request::Ls { path } => ls::ls(user, path.as_deref(), conn).map(|()| None),
        Request::Mkdir { path } => mkdir::mkdir(user, &path).map(Some),
        Request::Rm { path } => rm::rm(user, &path).map(Some),
        Request::Quota => Ok(Some(quota::quota(user))),
        Request::Put { path, size } => put::put(user, &path, size, conn, rate).map(Some),
        Request::Get { path, offset } => get::get(user, &path, offset, conn, rate).map(|()| None),
        Request::Login { .. } | Request::Auth { .. } => refuse("already logged in"),
        Request::Quit => unreachable!("the session answers quit itself"),
    }
}
// ANCHOR_END: apply

impl User {
    /// Resolves a path the user typed, from their current folder, or refuses it.
    fn resolve(&self, path: &str) -> Result<VPath, Problem> {
        self.cwd.join(path).map_err(Problem::Refused)
    }

    fn home(&self) -> &Dir {
        &self.account.home
    }
}

pub fn cwd_reply(cwd: &VPath) -> Reply {
    Reply {
        cwd: Some(cwd.to_string()),
        ..Reply::ok()
    }
}

/// What a path names, looked at without following a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Nothing,
    File {
        len: u64,
    },
    Folder,
    /// A symbolic link, a FIFO, a device, a socket: nothing a user may touch. Someone with a
    /// shell on the server put it there; opening a FIFO would block, following a link could
    /// lead anywhere.
    Other,
}

fn look(home: &Dir, path: &VPath) -> Result<Found, Problem> {
    match home.symlink_metadata(path.relative()) {
        Ok(metadata) if metadata.is_file() => Ok(Found::File {
            len: metadata.len(),
        }),
        Ok(metadata) if metadata.is_dir() => Ok(Found::Folder),
        Ok(_) => Ok(Found::Other),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Found::Nothing),
        Err(error) => Err(fs_refusal(error, path)),
    }
}

fn not_plain<T>(path: &VPath) -> Result<T, Problem> {
    refuse(format!("{path}: not a regular file or folder"))
}

// ANCHOR: open_file
/// Opens a file for reading, refusing anything that is not a regular file: looked at first,
/// then opened without following a link (`O_NOFOLLOW`) and without waiting for a FIFO's
/// writer (`O_NONBLOCK`), then what was opened checked again (`fstat`), in case it changed
/// in between.
fn open_file(home: &Dir, path: &VPath) -> Result<(std::fs::File, u64), Problem> {
    match look(home, path)? {
        Found::File { .. } => {}
        Found::Folder => return refuse(format!("{path}: is a directory")),
        Found::Nothing => return refuse(format!("{path}: no such file or directory")),
        Found::Other => return not_plain(path),
    }
    let file = home
        .open_with(
            path.relative(),
            OpenOptions::new().read(true).custom_flags(PLAIN),
        )
        .map_err(|error| fs_refusal(error, path))?;
    let metadata = file.metadata().map_err(|error| fs_refusal(error, path))?;
    if metadata.is_dir() {
        return refuse(format!("{path}: is a directory"));
    }
    if !metadata.is_file() {
        return not_plain(path);
    }
    Ok((file.into_std(), metadata.len()))
}
// ANCHOR_END: open_file

/// The flags that keep `open` from following a link or blocking on a FIFO.
const PLAIN: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK;

// ANCHOR: fs_refusal
/// A file system error on a user's path, as a refusal they can understand. The session goes
/// on: a full disk or a vanished file is the request's problem, not the connection's.
fn fs_refusal(error: io::Error, path: &VPath) -> Problem {
    Problem::Refused(match error.kind() {
        io::ErrorKind::NotFound => format!("{path}: no such file or directory"),
        io::ErrorKind::AlreadyExists => format!("{path}: already exists"),
        io::ErrorKind::PermissionDenied => format!("{path}: not allowed (outside your home?)"),
        io::ErrorKind::DirectoryNotEmpty => format!("{path}: directory not empty"),
        io::ErrorKind::NotADirectory => format!("{path}: not a directory"),
        io::ErrorKind::IsADirectory => format!("{path}: is a directory"),
        _ if error.raw_os_error() == Some(libc::ELOOP) => {
            format!("{path}: a symbolic link (links are not followed)")
        }
        _ => format!("{path}: {error}"),
    })
}
// ANCHOR_END: fs_refusal

/// Where the bytes of an interrupted upload to `target` wait: `.partial/<hash of the path>`.
fn partial_path(target: &VPath) -> PathBuf {
    let digest = sha2::Sha256::digest(target.to_string().as_bytes());
    PathBuf::from(PARTIAL_DIR).join(hex::encode(&digest[..16]))
}
