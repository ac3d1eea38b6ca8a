//! How fast is a verified transfer, next to what the machine can do at all?
//!
//! Two limits first: how fast bytes cross the loopback (one socket, one sender, one
//! receiver), and how fast one core computes md5. Then the yardstick, the [`reference`]
//! pipeline: the least work a verified transfer can do, two tight loops in two processes with
//! no protocol, keeping ch15's promise (the md5 checked, the file flushed to disk as ch15
//! flushes it, then renamed). Then ch15's `put` and `get` of the same file (the real client
//! and server, release builds, from the client's start and login to the verified md5), each
//! as a share of the reference. For the lesson's comparison it also times the article's
//! threaded FTP server in Python (十四: recv(1024) and a print per chunk), as ch14's tests
//! keep it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context, ensure};
use md5::{Digest, Md5};

use crate::run;

pub mod reference;

use reference::Flush;

#[derive(clap::Args)]
pub struct Options {
    /// Size of the file transferred, in MiB (every copy is kept until the end: the bench needs
    /// about 3 times this, for each run, of free disk)
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
    /// How many times to measure each row (the table shows the lowest, the median, the highest)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// How the reference flushes its file to disk before the rename: as ch15 does (the fair
    /// comparison), or not at all, or once at the end (to see what the flush costs)
    #[arg(long, value_enum, default_value = "while-writing")]
    reference_flush: Flush,
}

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let bytes = options.mib << 20;
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
    let big = local.join("big.bin");
    write_file(&big, bytes)?;

    let running = run::Server::start(&server, &["--dir", root.to_str().context("utf-8 path")?])?;
    let addr = running.addr.to_string();
    let client_does = |command: &str| -> anyhow::Result<()> {
        let status = Command::new(&client)
            .args(["--addr", &addr, "--user", "bench"])
            .args(command.split(' '))
            .current_dir(&local)
            .env("SOCKET_LESSONS_PASSWORD", "bench-password")
            .stdout(Stdio::null())
            .status()?;
        ensure!(status.success(), "{command} failed");
        Ok(())
    };
    let transfer = |command: &str| -> anyhow::Result<f64> {
        let started = Instant::now();
        client_does(command)?;
        Ok(bytes as f64 / 1e6 / started.elapsed().as_secs_f64())
    };

    let reference_name = match options.reference_flush {
        Flush::WhileWriting => "reference pipeline, verified (flushed while written, as ch15)",
        Flush::AtTheEnd => "reference pipeline, verified (flushed once, at the end)",
        Flush::Never => "reference pipeline, verified (not flushed to disk)",
    };
    let names = [
        "raw TCP over the loopback".to_owned(),
        "md5 on one core".to_owned(),
        reference_name.to_owned(),
        "ch15 put, verified".to_owned(),
        "ch15 get, verified".to_owned(),
        format!(
            "the article's Python server (十四), put of {} MiB, not verified",
            options.python_mib
        ),
    ];
    // Each run measures every row once, in turn, so that a busy moment of the machine falls
    // on all of them alike rather than on one row. Every transfer writes a new file, and none
    // is deleted before the end: on a virtual machine that hands freed memory back to its
    // host (this one does), writing into memory freed a moment ago is several times faster
    // than into memory the host must give again, which would favour whichever row came
    // right after a delete. Deleting also takes time of its own (ext4 with discard).
    let mut rows = vec![Vec::new(); names.len()];
    for run in 1..=options.runs {
        eprintln!("run {run} of {}", options.runs);
        rows[0].push(loopback_rate(bytes)?);
        rows[1].push(md5_rate(bytes.min(1 << 30)));
        let copy = local.join(format!("copy-{run}.bin"));
        let flush = options.reference_flush;
        rows[2].push(reference::rate(bins, &big, &copy, bytes, flush)?);
        rows[3].push(transfer(&format!("put big.bin big-{run}.bin"))?);
        rows[4].push(transfer(&format!("get big-{run}.bin back-{run}.bin"))?);
        let folder = tmp.path().join(format!("python-{run}"));
        std::fs::create_dir(&folder)?;
        let python_bytes = options.python_mib << 20;
        rows[5].push(python_rate(&options.python_server, python_bytes, &folder)?);
    }

    let reference = median(&rows[2]);
    println!(
        "1 process each end, {} MiB, release builds, MB/s (MB = 10^6 bytes), {} runs",
        options.mib, options.runs
    );
    println!();
    println!("| measured | lowest | median | highest | median, share of the reference |");
    println!("|---|---|---|---|---|");
    for (i, (name, rates)) in names.iter().zip(&rows).enumerate() {
        let share = match i {
            0 | 1 => String::new(),
            _ => format!("{:.0}%", median(rates) / reference * 100.0),
        };
        let lowest = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = rates.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {lowest:.0} | {:.0} | {highest:.0} | {share} |",
            median(rates)
        );
    }
    Ok(())
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
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

/// A file of `bytes` bytes that do not repeat in any simple way, flushed to disk.
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
    // On the disk now, so that the kernel does not write it back in the middle of a row.
    file.into_inner()?.sync_all()
}

/// Uploads `bytes` to the article-style Python server, serving `folder`, with the article's
/// protocol: the 4-byte length, the JSON header, then the bytes; times it until the server
/// has them all.
fn python_rate(script: &Path, bytes: u64, folder: &Path) -> anyhow::Result<f64> {
    let mut child = Command::new("python3")
        .arg(script)
        .arg("0")
        .arg(folder)
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
    let stored = folder.join("big.bin");
    while std::fs::metadata(&stored).map(|m| m.len()).unwrap_or(0) < bytes {
        thread::sleep(std::time::Duration::from_millis(5));
    }
    let rate = bytes as f64 / 1e6 / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    let _ = drain.join();
    Ok(rate)
}
