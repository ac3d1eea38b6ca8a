//! 十二 FTP作业：上传下载文件 — upload and download files over ch12's frame.
//!
//! Every message starts with ch12's header frame: 4 bytes of length (`struct.pack('i', n)`,
//! little-endian), then that many bytes of JSON. A file's bytes follow their header raw.
//!
//! ```text
//! put (the article's):  client: [len]{"cmd":"put","filename":"a.txt","filesize":N} + N bytes
//!                       server: nothing; with "reply":true, a reply once the bytes are stored
//! get (ours):           client: [len]{"cmd":"get","filename":"a.txt"}
//!                       server: [len]{"status":"ok","filesize":N} + N bytes
//! a reply that refuses: server: [len]{"status":"error","error":"why"}, nothing after it
//! ```
//!
//! The rules, all of which the article's server lacks:
//! - a file name is a plain name (`a.txt`), never a path: see [`plain_name`]; and a get sends
//!   plain files only: never a symlink (it could lead out of the folder), a FIFO or a device
//!   (whose open or read could wait for ever): see [`open_file`];
//! - `filesize` is 0 to [`MAX_FILESIZE`]; a put with a bad one (or a bad header) gets an error
//!   reply and the connection is closed, since nobody knows where the next header starts; so
//!   does a header that is not a JSON object of the expected kind (`null`, `[...]`, no `cmd`);
//! - a put whose name is refused, or whose file cannot be written, is still read to its end:
//!   its bytes are thrown away and the next request can follow;
//! - the bytes go to a partial file, `.a.txt.XXXXXX.part`, renamed to `a.txt` only when all N
//!   arrived: a client that vanishes mid-file leaves no file that looks complete;
//! - files move in chunks of [`CHUNK`] bytes, never whole in memory, with no print per chunk,
//!   and as fast as the network goes, or at most `--limit-rate` bytes a second.
//!
//! The client's side of the protocol is in [`client`].

pub mod client;

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use ch12_struct_header::{pack_header, recv_header};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use support::Throttle;

/// How many bytes one recv or send moves at most. The article's 8192 (1024 in 十四), each
/// followed by a print, is what makes its transfers slow.
pub const CHUNK: usize = 256 * 1024;

/// The largest file either end accepts, 1 TiB: a sane limit that a lying header cannot pass.
pub const MAX_FILESIZE: u64 = 1 << 40;

/// The longest file name accepted, in bytes: file systems allow 255, and the partial file's
/// name adds a few.
pub const MAX_NAME: usize = 200;

/// A request's header: the article's `{"cmd": "put", "filename": "a.txt", "filesize": 123}`,
/// and ours, `{"cmd": "get", "filename": "a.txt"}`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Request {
    pub cmd: String,
    #[serde(default)]
    pub filename: String,
    /// put only. Signed, as Python sends it, so that a negative size is refused by us with a
    /// clear message rather than by the JSON parser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesize: Option<i64>,
    /// put only: send a [`Reply`] once the file is stored. The article's client does not ask,
    /// and so gets nothing it would never read.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reply: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// A reply's header: `{"status": "ok", "filesize": N}` (a get's N bytes follow it; a put's N
/// bytes are stored) or `{"status": "error", "error": "why"}` (nothing follows).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Reply {
    Ok { filesize: u64 },
    Error { error: String },
}

/// Checks that `name` is a plain file name, one that cannot leave the folder it is joined to.
/// The article's `os.path.join(server_dir, filename)` takes `../x` (or `/etc/x`) anywhere.
/// Refused: an empty name, `.` and `..`, `/` and `\` (the separators of Unix and Windows), `:`
/// (`C:x` is a drive on Windows), control characters (NUL among them), over [`MAX_NAME`] bytes.
pub fn plain_name(name: &str) -> Result<&str, String> {
    if name.len() > MAX_NAME {
        let size = name.len();
        return Err(format!(
            "a file name of {size} bytes is too long (at most {MAX_NAME})"
        ));
    }
    let why = if name.is_empty() {
        "it is empty".to_owned()
    } else if name == "." || name == ".." {
        "it names a folder".to_owned()
    } else if let Some(c) = name
        .chars()
        .find(|&c| matches!(c, '/' | '\\' | ':') || c.is_control())
    {
        format!("it contains {c:?}")
    } else {
        return Ok(name);
    };
    Err(format!("{name:?} is not a plain file name: {why}"))
}

/// A put's `filesize`, checked: present, not negative, at most [`MAX_FILESIZE`].
pub fn filesize(request: &Request) -> Result<u64, String> {
    let size = request.filesize.ok_or("a put needs a filesize")?;
    u64::try_from(size)
        .ok()
        .filter(|&size| size <= MAX_FILESIZE)
        .ok_or_else(|| format!("bad filesize {size}: expected 0 to {MAX_FILESIZE}"))
}

/// Opens the file `name` in `dir` to send it: a plain name, and a plain file. Returns the file
/// and its size, or why not. Refused, without following or waiting: a symlink (someone with
/// access to the folder may have planted one that leads out of it), a folder, a FIFO (opening
/// one waits for a writer, and reading it for data, for ever), a device, a socket.
pub fn open_file(dir: &Path, name: &str) -> Result<(File, u64), String> {
    let name = plain_name(name)?;
    let path = dir.join(name);
    let opened = open_no_follow(&path).and_then(|file| Ok((file.metadata()?, file)));
    match opened {
        Ok((metadata, file)) if metadata.is_file() => Ok((file, metadata.len())),
        Ok(_) => Err(format!("{name:?} is not a file")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(format!("no file {name:?}")),
        // The open failed because the name is a symlink (ELOOP, or EMLINK on FreeBSD).
        Err(_) if path.symlink_metadata().is_ok_and(|m| m.is_symlink()) => {
            Err(format!("{name:?} is a symbolic link, not a file"))
        }
        Err(error) => Err(format!("cannot open {name:?}: {error}")),
    }
}

/// Opens `path` for reading without following a symlink at its end and without waiting: the
/// kernel refuses the symlink itself (O_NOFOLLOW), and opens a FIFO at once (O_NONBLOCK)
/// instead of waiting for a writer. Both are checked in the one system call that opens the
/// file, so nothing can swap the file between a check and the open. (O_NONBLOCK changes
/// nothing for a regular file.)
#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Elsewhere: a symlink is refused by a look before the open.
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if path.symlink_metadata()?.is_symlink() {
        return Err(io::Error::other("a symbolic link"));
    }
    File::open(path)
}

/// Sends exactly `size` bytes of `file` to `conn`, a chunk at a time, ticking `progress`, at
/// most `rate` bytes a second if there is one.
pub fn send_file(
    file: &mut impl Read,
    size: u64,
    conn: &mut impl Write,
    progress: &ProgressBar,
    rate: Option<u64>,
) -> io::Result<()> {
    // sendall: the article's send() may send less than it is given (see the errata).
    copy_chunks(file, size, "the file", progress, rate, |chunk| {
        conn.write_all(chunk)
    })
}

/// Receives exactly `size` bytes from `conn` (at most `rate` bytes a second if there is one)
/// and stores them as the file `name` in `dir`.
///
/// The bytes go to a partial file, `.NAME.XXXXXX.part`, which is renamed to `NAME` once all of
/// them have arrived, and deleted if they never do. Two results in one:
/// - the outer error is the connection's: it ended or failed before `size` bytes came, and is
///   done for;
/// - the inner error is the file's: a name that is not plain, a folder in the way, a full disk.
///   All `size` bytes were still read (and thrown away), so the next request can follow.
pub fn recv_file(
    conn: &mut impl Read,
    dir: &Path,
    name: &str,
    size: u64,
    progress: &ProgressBar,
    rate: Option<u64>,
) -> io::Result<io::Result<()>> {
    let mut partial = plain_name(name)
        .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))
        .and_then(|name| {
            tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .suffix(".part")
                .tempfile_in(dir)
        });
    copy_chunks(conn, size, "the connection", progress, rate, |chunk| {
        if let Ok(file) = &mut partial
            && let Err(error) = file.write_all(chunk)
        {
            partial = Err(error); // keep reading, to stay in step with the client
        }
        Ok(())
    })?; // an early end returns here, dropping `partial`, which deletes the partial file
    // All there: now, and only now, the file gets its name (a rename: all at once).
    Ok(partial.and_then(|file| {
        file.persist(dir.join(name))
            .map(drop)
            .map_err(|error| error.error)
    }))
}

/// Reads exactly `size` bytes from `from`, a chunk at a time, and hands each chunk to `to`,
/// ticking `progress`. If `from` ends early: "`{what}` ended after X of `size` bytes".
/// With a `rate`, it holds each chunk back as long as it takes to keep to that many bytes a
/// second, and takes smaller chunks (an eighth of a second's worth), so the bar moves smoothly.
fn copy_chunks(
    from: &mut impl Read,
    size: u64,
    what: &str,
    progress: &ProgressBar,
    rate: Option<u64>,
    mut to: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let chunk_size = rate.map_or(CHUNK, |rate| {
        usize::try_from(rate / 8).map_or(CHUNK, |size| size.clamp(1, CHUNK))
    });
    let mut chunk = vec![0u8; chunk_size];
    let mut throttle = Throttle::new(rate);
    let mut done = 0;
    while done < size {
        // recv(at most a chunk, and never past the file's end); count what really came.
        let want = usize::try_from(size - done).map_or(chunk_size, |left| left.min(chunk_size));
        let n = match from.read(&mut chunk[..want]) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => result?,
        };
        if n == 0 {
            let error = format!("{what} ended after {done} of {size} bytes");
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, error));
        }
        // With a rate, wait until these bytes are due, before passing them on: the last ones
        // then leave no sooner than `size / rate` seconds after the first.
        throttle.pace(n as u64);
        to(&chunk[..n])?;
        done += n as u64;
        progress.inc(n as u64);
    }
    Ok(())
}

/// Sends a reply's header: `struct.pack('i', len(json))` and the JSON, in one write.
pub fn send_reply(conn: &mut impl Write, reply: &Reply) -> io::Result<()> {
    conn.write_all(&pack_header(reply)?)
}

/// A progress bar for `size` bytes on stderr. It draws nothing when stderr is not a terminal,
/// so piped output (tests, demos) stays clean.
pub fn progress_bar(size: u64, name: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(size)
        .with_style(style)
        .with_message(name.to_owned())
}

/// The server's comm loop for one client (十二's `MYTCPServer.run`, 十四's `FtpServer.handle`):
/// one request after another, until the client hangs up. Each transfer moves at most `rate`
/// bytes a second if there is one. Prints what it does, each line after the client's address.
/// Returns the error that ended the connection, if one did: it ends this connection only.
pub fn talk(
    mut conn: TcpStream,
    client: SocketAddr,
    server_dir: &Path,
    rate: Option<u64>,
) -> io::Result<()> {
    // TCP_NODELAY: a small header must not wait for the last one's acknowledgement (ch10).
    conn.set_nodelay(true)?;
    let result = serve_requests(&mut conn, client, server_dir, rate);
    // A bad header or size: say why before hanging up (the client may not be listening).
    if let Err(error) = &result
        && error.kind() == io::ErrorKind::InvalidData
    {
        let _ = send_reply(
            &mut conn,
            &Reply::Error {
                error: error.to_string(),
            },
        );
    }
    result
}

fn serve_requests(
    conn: &mut TcpStream,
    client: SocketAddr,
    server_dir: &Path,
    rate: Option<u64>,
) -> io::Result<()> {
    loop {
        // recv exactly 4 bytes, then exactly that many: the header. None: the client hung up.
        let Some(request) = recv_header::<Request>(conn)? else {
            return Ok(());
        };
        println!("[{client}] header {}", serde_json::to_string(&request)?);

        // The article calls the method named by cmd (getattr); we know two.
        match request.cmd.as_str() {
            "put" => put(conn, client, server_dir, &request, rate)?,
            "get" => get(conn, client, server_dir, &request, rate)?,
            other => {
                let error = format!("unknown command {other:?}: this server knows put and get");
                println!("[{client}] {error}");
                send_reply(conn, &Reply::Error { error })?;
            }
        }
    }
}

/// put: the file's bytes follow the header. They are stored only under a plain name, and only
/// once all of them have arrived.
fn put(
    conn: &mut TcpStream,
    client: SocketAddr,
    dir: &Path,
    request: &Request,
    rate: Option<u64>,
) -> io::Result<()> {
    let size = filesize(request).map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
    let name = &request.filename;
    let hidden = ProgressBar::hidden();
    let reply = match recv_file(conn, dir, name, size, &hidden, rate)? {
        Ok(()) => {
            println!("[{client}] put {name}: {size} bytes stored");
            Reply::Ok { filesize: size }
        }
        Err(error) => {
            println!("[{client}] put refused: {error}; {size} bytes thrown away");
            Reply::Error {
                error: error.to_string(),
            }
        }
    };
    if request.reply {
        send_reply(conn, &reply)?;
    }
    Ok(())
}

/// get: a reply header with the file's size, then its bytes; or an error reply.
fn get(
    conn: &mut TcpStream,
    client: SocketAddr,
    dir: &Path,
    request: &Request,
    rate: Option<u64>,
) -> io::Result<()> {
    let name = &request.filename;
    match open_file(dir, name) {
        Ok((mut file, size)) => {
            send_reply(conn, &Reply::Ok { filesize: size })?;
            send_file(&mut file, size, conn, &ProgressBar::hidden(), rate)?;
            println!("[{client}] get {name}: {size} bytes sent");
        }
        Err(error) => {
            println!("[{client}] get refused: {error}");
            send_reply(conn, &Reply::Error { error })?;
        }
    }
    Ok(())
}
