//! Many clients at once against the threaded servers, ch14 and ch15.
//!
//! Two runs for each server:
//!
//! - a burst: `--clients` connections opened at the same moment, each sending one request
//!   and waiting for its reply. How long until the last one is answered?
//! - a workload: `--clients` clients at once, each doing a whole session: (ch15) log in, list,
//!   upload and download a small file; (ch14) upload and download a small file.
//!
//! It counts errors (there must be none), reports the slowest and the median client, and the
//! server's peak memory. The ch15 clients derive their login key once and share it: Argon2
//! is the cost of each client's machine, not the server's.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply as FtpReply, Request as FtpRequest};
use ch15_ftp_homework::auth::{self, Key};
use ch15_ftp_homework::proto::{self, Reply, Request};
use ch15_ftp_homework::remote::Remote;

use crate::run;

#[derive(clap::Args)]
pub struct Options {
    /// Clients at once
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Size of each client's file, in bytes
    #[arg(long, default_value_t = 4096)]
    file_size: usize,
}

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let data: Arc<Vec<u8>> = Arc::new((0..options.file_size).map(|i| (i % 251) as u8).collect());
    println!(
        "{} clients at once, {}-byte files, release builds, on this machine",
        options.clients, options.file_size
    );
    println!();
    println!("| server | run | errors | median | slowest | server's peak memory |");
    println!("|---|---|---|---|---|---|");

    // ch14: the article's FTP, a thread per connection, no login.
    let dir = tmp.path().join("ch14");
    let server = run::Server::start(
        &run::bin(bins, "ch14", "server"),
        &["--dir", dir.to_str().context("utf-8")?],
    )?;
    let addr = server.addr;
    let burst = many(options.clients, move |_| ch14_missing(addr));
    row("ch14", "burst: one request each", &burst, &server);
    let data14 = Arc::clone(&data);
    let work = many(options.clients, move |i| ch14_session(addr, i, &data14));
    row("ch14", "put + get each", &work, &server);
    drop(server);

    // ch15: log in, ls, put, get.
    let root = tmp.path().join("ch15");
    let status = Command::new(run::bin(bins, "ch15", "server"))
        .args(["useradd", "load", "--quota", "10G", "--dir"])
        .arg(&root)
        .env("SOCKET_LESSONS_PASSWORD", "load-password")
        .stdout(Stdio::null())
        .status()?;
    ensure!(status.success(), "useradd failed");
    let server = run::Server::start(
        &run::bin(bins, "ch15", "server"),
        &["--dir", root.to_str().context("utf-8")?],
    )?;
    let addr = server.addr;
    let burst = many(options.clients, move |_| ch15_login_request(addr));
    row("ch15", "burst: one request each", &burst, &server);
    let local = tmp.path().join("local");
    std::fs::create_dir_all(&local)?;
    let file = local.join("data.bin");
    std::fs::write(&file, data.as_slice())?;
    let key: Arc<OnceLock<Key>> = Arc::new(OnceLock::new());
    let work = many(options.clients, move |i| {
        ch15_session(addr, i, &key, &file, &local)
    });
    row("ch15", "log in + ls + put + get each", &work, &server);
    Ok(())
}

/// Runs `client(i)` on `n` threads released at the same moment; returns each one's time, or
/// its error.
fn many<F>(n: usize, client: F) -> Vec<anyhow::Result<Duration>>
where
    F: Fn(usize) -> anyhow::Result<()> + Send + Sync + 'static,
{
    let client = Arc::new(client);
    let start = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (client, start) = (Arc::clone(&client), Arc::clone(&start));
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    start.wait();
                    let started = Instant::now();
                    client(i).map(|()| started.elapsed())
                })
                .expect("a thread")
        })
        .collect();
    threads
        .into_iter()
        .map(|thread| thread.join().expect("a client panicked"))
        .collect()
}

fn row(server: &str, run: &str, results: &[anyhow::Result<Duration>], process: &run::Server) {
    let mut times: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .copied()
        .collect();
    times.sort();
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| format!("{e:#}")))
        .collect();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let slowest = times.last().copied().unwrap_or_default();
    let rss = process
        .peak_rss_mib()
        .map_or("?".into(), |mib| format!("{mib:.0} MiB"));
    println!(
        "| {server} | {run} | {} | {:.0} ms | {:.0} ms | {rss} |",
        errors.len(),
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0
    );
    if let Some(first) = errors.first() {
        eprintln!("{server}, {run}: first error: {first}");
    }
}

/// A timeout for every read and write: a stall is an error, not a hang.
fn connect(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let conn = TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    conn.set_write_timeout(Some(Duration::from_secs(60)))?;
    Ok(conn)
}

fn ch14_send(conn: &mut TcpStream, request: &FtpRequest, body: &[u8]) -> anyhow::Result<()> {
    let mut frame = pack_header(request)?;
    frame.extend_from_slice(body);
    conn.write_all(&frame)?;
    Ok(())
}

fn ch14_reply(conn: &mut TcpStream) -> anyhow::Result<u64> {
    match recv_header::<FtpReply>(conn)?.context("the server hung up")? {
        FtpReply::Ok { filesize } => Ok(filesize),
        FtpReply::Error { error } => anyhow::bail!("refused: {error}"),
    }
}

/// ch14, one request: a get of a file that is not there, answered with an error reply.
fn ch14_missing(addr: SocketAddr) -> anyhow::Result<()> {
    let mut conn = connect(addr)?;
    let request = FtpRequest {
        cmd: "get".into(),
        filename: "no-such-file".into(),
        ..FtpRequest::default()
    };
    ch14_send(&mut conn, &request, &[])?;
    ensure!(ch14_reply(&mut conn).is_err(), "a missing file was found");
    Ok(())
}

/// ch14, a session: put a file (asking for a reply), get it back, compare.
fn ch14_session(addr: SocketAddr, i: usize, data: &[u8]) -> anyhow::Result<()> {
    let mut conn = connect(addr)?;
    let filename = format!("f{i}");
    let put = FtpRequest {
        cmd: "put".into(),
        filename: filename.clone(),
        filesize: Some(data.len() as i64),
        reply: true,
    };
    ch14_send(&mut conn, &put, data)?;
    ch14_reply(&mut conn)?;
    let get = FtpRequest {
        cmd: "get".into(),
        filename,
        ..FtpRequest::default()
    };
    ch14_send(&mut conn, &get, &[])?;
    let size = ch14_reply(&mut conn)?;
    let mut back = vec![0u8; usize::try_from(size)?];
    conn.read_exact(&mut back)?;
    ensure!(back == data, "the file came back different");
    Ok(())
}

/// ch15, one request: the first step of a login, answered with a salt and a challenge.
fn ch15_login_request(addr: SocketAddr) -> anyhow::Result<()> {
    let mut conn = connect(addr)?;
    proto::send(
        &mut conn,
        &Request::Login {
            user: "load".into(),
        },
    )?;
    let reply: Reply = proto::recv(&mut conn)?.context("the server hung up")?;
    ensure!(reply.challenge.is_some(), "no challenge: {reply:?}");
    Ok(())
}

/// ch15, a session: log in, ls, put, get, compare, quit.
fn ch15_session(
    addr: SocketAddr,
    i: usize,
    key: &OnceLock<Key>,
    file: &Path,
    local: &Path,
) -> anyhow::Result<()> {
    let mut remote = Remote::connect(addr)?;
    remote.login_with("load", |salt, kdf| {
        Ok(*key.get_or_init(|| {
            let salted = auth::salted_password("load-password", salt, kdf).expect("argon2");
            auth::client_key(&salted)
        }))
    })?;
    remote.ls(None)?;
    let name = format!("f{i}");
    remote.put(file, &name, &mut |_| {})?;
    let back = local.join(format!("back{i}"));
    remote.get(&name, &back, &mut |_| {})?;
    ensure!(
        std::fs::read(&back)? == std::fs::read(file)?,
        "the file came back different"
    );
    remote.quit()
}
