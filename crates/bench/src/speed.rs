//! How fast is a verified transfer, next to what the machine can do at all?
//!
//! Two limits: how fast bytes cross the loopback (one socket, one sender, one receiver), and
//! how fast one core computes md5. A verified transfer can be no faster than the lower of
//! the two, since each byte must cross and be hashed. This measures both, then ch15's `put`
//! and `get` of one file (the real client and server, release builds, from login to the
//! verified md5), and prints each as a share of that limit. For the lesson's comparison it
//! also times the article's threaded FTP server in Python (十四: recv(1024) and a print per
//! chunk), as ch14's tests keep it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context, ensure};
use md5::{Digest, Md5};

use crate::run;

#[derive(clap::Args)]
pub struct Options {
    /// Size of the file transferred, in MiB
    #[arg(long, default_value_t = 1024)]
    mib: u64,
    /// Size of the upload to the article's Python server, in MiB (it is slow)
    #[arg(long, default_value_t = 256)]
    python_mib: u64,
    /// The article's Python server to compare with (run as: SCRIPT PORT FOLDER)
    #[arg(
        long,
        default_value = "crates/ch14-threaded-server/tests/peers/server.py"
    )]
    python_server: std::path::PathBuf,
}

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let bytes = options.mib << 20;
    let loopback = loopback_rate(bytes)?;
    let md5 = md5_rate(bytes.min(1 << 30));
    let limit = loopback.min(md5);

    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("root");
    let local = tmp.path().join("local");
    std::fs::create_dir_all(&local)?;
    let server = run::bin(bins, "ch15", "server");
    let client = run::bin(bins, "ch15", "client");
    let status = Command::new(&server)
        .args(["useradd", "bench", "--quota", "100G", "--dir"])
        .arg(&root)
        .env("SOCKET_LESSONS_PASSWORD", "bench-password")
        .stdout(Stdio::null())
        .status()?;
    ensure!(status.success(), "useradd failed");
    write_file(&local.join("big.bin"), bytes)?;

    let running = run::Server::start(&server, &["--dir", root.to_str().context("utf-8 path")?])?;
    let addr = running.addr.to_string();
    let transfer = |command: &str| -> anyhow::Result<f64> {
        let started = Instant::now();
        let status = Command::new(&client)
            .args(["--addr", &addr, "--user", "bench"])
            .args(command.split(' '))
            .current_dir(&local)
            .env("SOCKET_LESSONS_PASSWORD", "bench-password")
            .stdout(Stdio::null())
            .status()?;
        ensure!(status.success(), "{command} failed");
        Ok(bytes as f64 / 1e6 / started.elapsed().as_secs_f64())
    };
    let put = transfer("put big.bin")?;
    let get = transfer("get big.bin back.bin")?;

    println!(
        "1 process each end, {} MiB, release builds, MB = 10^6 bytes",
        options.mib
    );
    println!();
    println!("| measured | MB/s | share of the limit |");
    println!("|---|---|---|");
    println!("| raw TCP over the loopback | {loopback:.0} | |");
    println!("| md5 on one core | {md5:.0} | |");
    println!("| limit: the lower of the two | {limit:.0} | 100% |");
    println!(
        "| ch15 put, verified | {put:.0} | {:.0}% |",
        put / limit * 100.0
    );
    println!(
        "| ch15 get, verified | {get:.0} | {:.0}% |",
        get / limit * 100.0
    );
    let rate = python_rate(&options.python_server, options.python_mib << 20)?;
    println!(
        "| the article's Python server (十四), put of {} MiB, not verified | {rate:.0} | {:.0}% |",
        options.python_mib,
        rate / limit * 100.0
    );
    Ok(())
}

/// One sender writing `bytes` to one receiver over the loopback, 256 KiB at a time.
fn loopback_rate(bytes: u64) -> anyhow::Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let receiver = thread::spawn(move || -> std::io::Result<u64> {
        let (mut conn, _) = listener.accept()?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0;
        loop {
            match conn.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    });
    let mut conn = TcpStream::connect(addr)?;
    let chunk = vec![7u8; 256 * 1024];
    let started = Instant::now();
    let mut sent = 0;
    while sent < bytes {
        conn.write_all(&chunk)?;
        sent += chunk.len() as u64;
    }
    drop(conn);
    let received = receiver.join().expect("receiver thread")?;
    let rate = received as f64 / 1e6 / started.elapsed().as_secs_f64();
    Ok(rate)
}

/// md5 of `bytes` bytes already in memory, on this one thread.
fn md5_rate(bytes: u64) -> f64 {
    let chunk = vec![7u8; 256 * 1024];
    let mut md5 = Md5::new();
    let started = Instant::now();
    let mut done = 0;
    while done < bytes {
        md5.update(&chunk);
        done += chunk.len() as u64;
    }
    std::hint::black_box(md5.finalize());
    done as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// A file of `bytes` bytes that do not repeat in any simple way.
fn write_file(path: &Path, bytes: u64) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < bytes {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    file.flush()
}

/// Uploads `bytes` to the article-style Python server with the article's protocol: the
/// 4-byte length, the JSON header, then the bytes; times it until the server has them all.
fn python_rate(script: &Path, bytes: u64) -> anyhow::Result<f64> {
    let tmp = tempfile::tempdir()?;
    let mut child = Command::new("python3")
        .arg(script)
        .arg("0")
        .arg(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdout = std::io::BufReader::new(child.stdout.take().context("stdout")?);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first)?;
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .context("python server")?
        .to_owned();
    // Its print per chunk must go somewhere: drain it.
    let drain = thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));

    let header = format!(r#"{{"cmd": "put", "filename": "big.bin", "filesize": {bytes}}}"#);
    let mut conn = TcpStream::connect(&addr)?;
    let started = Instant::now();
    conn.write_all(&(header.len() as i32).to_le_bytes())?;
    conn.write_all(header.as_bytes())?;
    let chunk = vec![7u8; 256 * 1024];
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min((bytes - sent) as usize);
        conn.write_all(&chunk[..n])?;
        sent += n as u64;
    }
    // The article's server answers nothing: wait until the file on its disk is complete.
    let stored = tmp.path().join("big.bin");
    while std::fs::metadata(&stored).map(|m| m.len()).unwrap_or(0) < bytes {
        thread::sleep(std::time::Duration::from_millis(5));
    }
    let rate = bytes as f64 / 1e6 / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    let _ = drain.join();
    Ok(rate)
}
