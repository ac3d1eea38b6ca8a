//! Exercise ch12b-1, a solution — the article's FTP server, which takes plain names only: a
//! name with a `/` (or `..`, or anything else that could lead out of `--dir`) is refused, and
//! the server goes on serving.

use std::fs::{self, File};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::Context;
use ch12_struct_header::recv_header;
use ch12b_ftp::{Reply, Request, filesize, plain_name, send_reply};
use clap::Parser;
use socket2::{Domain, Socket, Type};

fn main() -> support::Result {
    let args = Args::parse();
    // server_dir: where the files go, created if missing.
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the folder {}", args.dir.display()))?;

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);
    println!("files go to {}", args.dir.display());

    // The link loop: one client after another.
    loop {
        let (conn, addr) = phone.accept()?;
        println!("call from {addr}");
        match talk(conn, &args.dir) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The comm loop: a header, then what its cmd says, until the client hangs up.
fn talk(mut conn: TcpStream, dir: &Path) -> io::Result<()> {
    loop {
        // recv exactly 4 bytes, then exactly that many: the header. None: the client hung up.
        let Some(request) = recv_header::<Request>(&mut conn)? else {
            return Ok(());
        };
        match request.cmd.as_str() {
            "put" => put(&mut conn, dir, &request)?,
            "get" => get(&mut conn, dir, &request)?,
            other => {
                let error = format!("unknown command {other:?}: this server knows put and get");
                send_reply(&mut conn, &Reply::Error { error })?;
            }
        }
    }
}

/// put: `filesize` bytes follow the header; they are stored under the name the client gave.
fn put(conn: &mut TcpStream, dir: &Path, request: &Request) -> io::Result<()> {
    let size = filesize(request).map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
    // A plain name, or nothing: `../x` and `/etc/x` would lead out of the folder.
    let path = match plain_name(&request.filename) {
        Ok(name) => dir.join(name),
        Err(why) => {
            // The bytes are read all the same, and thrown away: the next header follows them.
            io::copy(&mut conn.take(size), &mut io::sink())?;
            println!("put refused: {why}");
            if request.reply {
                send_reply(conn, &Reply::Error { error: why })?;
            }
            return Ok(());
        }
    };
    let mut file = File::create(&path)?;
    let stored = io::copy(&mut conn.take(size), &mut file)?;
    if stored < size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the client hung up after {stored} of {size} bytes"),
        ));
    }
    println!("put {}: {size} bytes stored", path.display());
    if request.reply {
        send_reply(conn, &Reply::Ok { filesize: size })?;
    }
    Ok(())
}

/// get: a reply with the file's size, then its bytes; or a reply that says why not.
fn get(conn: &mut TcpStream, dir: &Path, request: &Request) -> io::Result<()> {
    let path = match plain_name(&request.filename) {
        Ok(name) => dir.join(name),
        Err(error) => return send_reply(conn, &Reply::Error { error }),
    };
    match File::open(&path) {
        Ok(mut file) => {
            let size = file.metadata()?.len();
            send_reply(conn, &Reply::Ok { filesize: size })?;
            io::copy(&mut file.by_ref().take(size), conn)?;
            println!("get {}: {size} bytes sent", path.display());
        }
        Err(error) => {
            let error = format!("cannot open {:?}: {error}", request.filename);
            send_reply(conn, &Reply::Error { error })?;
        }
    }
    Ok(())
}

/// Exercise ch12b-1: the article's FTP server, one client at a time.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8212", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The folder that files are put in and got from (server_dir)
    #[arg(long, default_value = "file_upload")]
    dir: PathBuf,
}
