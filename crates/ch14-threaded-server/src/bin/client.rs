//! 十四 socketserver实现并发 — 十二's FTP client, unchanged: the threads are all on the server's side.
//!
//! A put sends the article's header and the file's bytes, then (unless `--no-reply`) reads the
//! server's reply. A get sends its header and reads the reply header, then the file's bytes.

use std::fs::{self, File};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::Context;
use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{MAX_FILESIZE, Reply, Request, plain_name, progress_bar, recv_file, send_file};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();
    // Where the files we get go, created if missing.
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the folder {}", args.dir.display()))?;

    // socket() + connect(): MYTCPClient.__init__.
    let mut conn = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;
    // TCP_NODELAY: a small header must not wait for the last one's acknowledgement (ch10).
    conn.set_nodelay(true)?;

    // run(): a command a line, `put FILE`, `get NAME` or `quit`.
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
            ("put", file) => put(&mut conn, Path::new(file), args.no_reply)?,
            ("get", name) => get(&mut conn, name, &args.dir)?,
            _ => println!("unknown command {cmd:?}: try put FILE, get NAME or quit"),
        }
    }

    // close(): hang up.
    drop(conn);
    Ok(())
}

/// put FILE: the header, then the file's bytes, then the server's reply.
fn put(conn: &mut TcpStream, path: &Path, no_reply: bool) -> support::Result {
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
        reply: !no_reply,
    };
    conn.write_all(&pack_header(&request)?)?;
    let progress = progress_bar(filesize, filename);
    send_file(&mut file, filesize, conn, &progress)
        .with_context(|| format!("put {}", path.display()))?;
    progress.finish_and_clear();

    if no_reply {
        println!("put {filename}: {filesize} bytes sent");
        return Ok(());
    }
    // Our server's reply: stored, or why not.
    match recv_reply(conn)? {
        Reply::Ok { filesize } => println!("put {filename}: {filesize} bytes stored"),
        Reply::Error { error } => println!("put {filename}: refused by the server: {error}"),
    }
    Ok(())
}

/// get NAME: the header, then the reply header, then its `filesize` bytes, saved as NAME in
/// `dir`, whatever the server may say.
fn get(conn: &mut TcpStream, name: &str, dir: &Path) -> support::Result {
    if let Err(why) = plain_name(name) {
        println!("get {name}: {why}");
        return Ok(());
    }
    let request = Request {
        cmd: "get".into(),
        filename: name.into(),
        ..Request::default()
    };
    conn.write_all(&pack_header(&request)?)?;

    let filesize = match recv_reply(conn)? {
        Reply::Ok { filesize } => filesize,
        Reply::Error { error } => {
            println!("get {name}: refused by the server: {error}");
            return Ok(());
        }
    };
    support::ensure!(
        filesize <= MAX_FILESIZE,
        "get {name}: the server offers {filesize} bytes, more than the {MAX_FILESIZE} we accept"
    );
    let progress = progress_bar(filesize, name);
    let saved =
        recv_file(conn, dir, name, filesize, &progress).with_context(|| format!("get {name}"))?;
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
fn recv_reply(conn: &mut TcpStream) -> support::Result<Reply> {
    Ok(recv_header(conn)?.context("the server hung up")?)
}

/// The client end of 十四 socketserver实现并发: put and get files.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8014", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The folder that files got are saved in (created if missing)
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Read no reply after a put: the article's server sends none
    #[arg(long)]
    no_reply: bool,
}
