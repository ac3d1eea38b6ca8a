//! The client's side of 十二 FTP作业: the article's `MYTCPClient.run` and its `put`, and our `get`.
//!
//! A put sends the article's header and the file's bytes, then (unless `--no-reply`) reads the
//! server's reply. A get sends its header and reads the reply header, then the file's bytes.
//! The client binaries of ch12b and ch14 connect, call [`run`], and hang up.

use std::fs::{self, File};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ch12_struct_header::{pack_header, recv_header};

use crate::{MAX_FILESIZE, Reply, Request, plain_name, progress_bar, recv_file, send_file};

/// The client's options besides `--addr` (`#[command(flatten)]` them into its arguments).
#[derive(clap::Args)]
pub struct Options {
    /// The folder that files got are saved in (created if missing)
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Read no reply after a put: the article's server sends none
    #[arg(long)]
    pub no_reply: bool,
    /// Move each file at most this fast, in bytes a second, as curl's option (e.g. 5M or 500K)
    #[arg(long, value_name = "RATE", value_parser = support::parse_rate)]
    pub limit_rate: Option<u64>,
}

/// `MYTCPClient.run`: a command a line, `put FILE`, `get NAME` or `quit`, on a connected phone.
pub fn run(phone: &mut TcpStream, options: &Options) -> support::Result {
    // Where the files we get go, created if missing.
    fs::create_dir_all(&options.dir)
        .with_context(|| format!("cannot create the folder {}", options.dir.display()))?;
    // TCP_NODELAY: a small header must not wait for the last one's acknowledgement (ch10).
    phone.set_nodelay(true)?;

    for line in support::input(">>: ") {
        let (cmd, arg) = match line.split_once(char::is_whitespace) {
            Some((cmd, arg)) => (cmd, arg.trim()),
            None => (line.as_str(), ""),
        };
        match (cmd, arg) {
            ("", _) => continue,
            ("quit", _) => break,
            ("put", "") => println!("usage: put FILE"),
            ("get", "") => println!("usage: get NAME"),
            ("put", file) => put(phone, Path::new(file), options)?,
            ("get", name) => get(phone, name, options)?,
            _ => println!("unknown command {cmd:?}: try put FILE, get NAME or quit"),
        }
    }
    Ok(())
}

/// put FILE: the header, then the file's bytes, then the server's reply.
fn put(phone: &mut TcpStream, path: &Path, options: &Options) -> support::Result {
    // os.path.isfile, os.path.getsize, and os.path.basename: the name the server stores.
    let checked = open_local(path).and_then(|(file, size)| {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        Ok((file, size, plain_name(name)?))
    });
    let (mut file, filesize, filename) = match checked {
        Ok(checked) => checked,
        Err(why) => {
            println!("put {}: {why}", path.display());
            return Ok(());
        }
    };

    // struct.pack('i', len(header)) + the JSON header, then the bytes.
    let request = Request {
        cmd: "put".into(),
        filename: filename.into(),
        filesize: Some(i64::try_from(filesize)?),
        reply: !options.no_reply,
    };
    phone.write_all(&pack_header(&request)?)?;
    let progress = progress_bar(filesize, filename);
    send_file(&mut file, filesize, phone, &progress, options.limit_rate)
        .with_context(|| format!("put {}", path.display()))?;
    progress.finish_and_clear();

    if options.no_reply {
        println!("put {filename}: {filesize} bytes sent");
        return Ok(());
    }
    // Our server's reply: stored, or why not.
    match recv_reply(phone)? {
        Reply::Ok { filesize } => println!("put {filename}: {filesize} bytes stored"),
        Reply::Error { error } => {
            println!("put {filename}: refused by the server: {}", shown(&error));
        }
    }
    Ok(())
}

/// get NAME: the header, then the reply header, then its `filesize` bytes, saved as NAME in
/// the `--dir` folder, whatever the server may say.
fn get(phone: &mut TcpStream, name: &str, options: &Options) -> support::Result {
    if let Err(why) = plain_name(name) {
        println!("get {name}: {why}");
        return Ok(());
    }
    let request = Request {
        cmd: "get".into(),
        filename: name.into(),
        ..Request::default()
    };
    phone.write_all(&pack_header(&request)?)?;

    let filesize = match recv_reply(phone)? {
        Reply::Ok { filesize } => filesize,
        Reply::Error { error } => {
            println!("get {name}: refused by the server: {}", shown(&error));
            return Ok(());
        }
    };
    support::ensure!(
        filesize <= MAX_FILESIZE,
        "get {name}: the server offers {filesize} bytes, more than the {MAX_FILESIZE} we accept"
    );
    let progress = progress_bar(filesize, name);
    let saved = recv_file(
        phone,
        &options.dir,
        name,
        filesize,
        &progress,
        options.limit_rate,
    )
    .with_context(|| format!("get {name}"))?;
    progress.finish_and_clear();
    match saved {
        Ok(()) => println!("get {name}: {filesize} bytes saved"),
        Err(error) => println!("get {name}: cannot save it: {error}"),
    }
    Ok(())
}

/// A file to put, and its size; or why not, in a few words.
fn open_local(path: &Path) -> Result<(File, u64), String> {
    let file = File::open(path).map_err(|error| format!("cannot open it: {error}"))?;
    let metadata = file.metadata().map_err(|error| error.to_string())?;
    if !metadata.is_file() {
        return Err("not a file".into());
    }
    if metadata.len() > MAX_FILESIZE {
        return Err(format!("over the limit of {MAX_FILESIZE} bytes"));
    }
    Ok((file, metadata.len()))
}

/// The server's reply header; the server hanging up instead is an error.
fn recv_reply(phone: &mut TcpStream) -> support::Result<Reply> {
    Ok(recv_header(phone)?.context("the server hung up")?)
}

/// The server's words, with any control character escaped: a hostile server must not be able
/// to send escape sequences to our terminal, or fake lines of our output.
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
