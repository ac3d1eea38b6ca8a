//! The reference pipeline: the least work a verified transfer can do, with no protocol.
//!
//! Two processes, as a client and a server are, each one tight loop on one thread (ch15's
//! simple loop, `copy_md5`):
//!
//! - the sender reads the file 256 KiB at a time, hashes each piece and sends it, then sends
//!   the 16 bytes of the md5;
//! - the receiver takes the bytes, hashes each piece and writes it to a partial file, then
//!   compares the md5 it computed with the one that came, flushes the file to disk and gives
//!   it its name.
//!
//! That is everything ch15's put and get must do to keep their promise (no file under its
//! name unless its md5 matched and its bytes are on the disk), and nothing else: no login, no
//! frames, no quotas, no deadlines, no progress bar. The bench runs the two ends by starting
//! its own binary again with a hidden subcommand for each.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, ensure};
use ch15_ftp_homework::transfer::{Flusher, copy_md5};
use clap::ValueEnum;
use md5::{Digest, Md5};

/// One end of the reference pipeline (the bench runs these itself; they are hidden).
#[derive(clap::Subcommand)]
pub enum End {
    #[command(hide = true)]
    /// Sends FILE to ADDR: read, md5, send; then the md5's 16 bytes
    ReferenceSend {
        file: PathBuf,
        addr: String,
        size: u64,
    },
    #[command(hide = true)]
    /// Receives SIZE bytes into FILE: receive, md5, write; check, (flush to disk,) rename
    ReferenceReceive {
        file: PathBuf,
        size: u64,
        /// When to flush the file to disk (always before it takes its name)
        #[arg(long, value_enum, default_value = "never")]
        flush: Flush,
    },
}

/// When the receiver flushes the file to disk.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flush {
    /// Never: the file is in the page cache when it takes its name
    Never,
    /// Once, after the last byte
    AtTheEnd,
    /// As ch15 does: on a second thread while it is written, then the rest at the end
    WhileWriting,
}

pub fn run(end: &End) -> anyhow::Result<()> {
    match end {
        End::ReferenceSend { file, addr, size } => send(file, addr, *size),
        End::ReferenceReceive { file, size, flush } => receive(file, *size, *flush),
    }
}

/// Moves `file` (of `size` bytes) to `into` through the two ends, each its own process, the
/// receiver flushing it to disk as `flush` says; returns the rate in MB/s, from the sender's
/// start to the renamed file.
pub fn rate(bins: &Path, file: &Path, into: &Path, size: u64, flush: Flush) -> anyhow::Result<f64> {
    let bench = std::env::current_exe()?;
    let end = |args: &[&std::ffi::OsStr]| {
        let mut command = Command::new(&bench);
        command.arg("--bins").arg(bins).args(args);
        command
    };
    let size_arg = size.to_string();
    let mut receiver = end(&[
        "reference-receive".as_ref(),
        into.as_ref(),
        size_arg.as_ref(),
    ]);
    receiver
        .arg("--flush")
        .arg(flush.to_possible_value().expect("a value").get_name());
    let mut receiver = receiver.stdout(Stdio::piped()).spawn()?;
    let mut first = String::new();
    BufReader::new(receiver.stdout.take().context("stdout")?).read_line(&mut first)?;
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .context("the reference receiver did not start")?
        .to_owned();

    let started = Instant::now();
    let sent = end(&[
        "reference-send".as_ref(),
        file.as_ref(),
        addr.as_ref(),
        size_arg.as_ref(),
    ])
    .status()?;
    let received = receiver.wait()?;
    let took = started.elapsed();
    ensure!(sent.success() && received.success(), "the reference failed");
    Ok(size as f64 / 1e6 / took.as_secs_f64())
}

fn send(path: &Path, addr: &str, size: u64) -> anyhow::Result<()> {
    let mut file = File::open(path)?;
    let mut phone = TcpStream::connect(addr)?;
    // As ch15's client and server do: no waiting to fill a segment.
    phone.set_nodelay(true)?;
    // ch15's simple loop (read a piece, hash it, send it), with nothing around it.
    let mut md5 = Md5::new();
    copy_md5(&mut file, &mut phone, size, &mut md5, |_| {}).map_err(io::Error::from)?;
    phone.write_all(&md5.finalize())?;
    phone.shutdown(Shutdown::Write)?;
    Ok(())
}

fn receive(path: &Path, size: u64, flush: Flush) -> anyhow::Result<()> {
    let phone = TcpListener::bind("127.0.0.1:0")?;
    println!("listening on {}", phone.local_addr()?);
    io::stdout().flush()?;
    let (mut conn, _) = phone.accept()?;
    conn.set_nodelay(true)?;
    let partial = path.with_extension("part");
    let mut file = File::create(&partial)?;
    let mut flusher = match flush {
        Flush::WhileWriting => Some(Flusher::start(&file)?),
        _ => None,
    };
    // The same loop: receive a piece, hash it, write it (and count it for the flusher).
    let mut md5 = Md5::new();
    copy_md5(&mut conn, &mut file, size, &mut md5, |n| {
        if let Some(flusher) = &mut flusher {
            flusher.written(n);
        }
    })
    .map_err(io::Error::from)?;
    let mut theirs = [0u8; 16];
    conn.read_exact(&mut theirs)?;
    ensure!(md5.finalize()[..] == theirs, "md5 mismatch");
    match flusher {
        Some(flusher) => flusher.finish()?,
        None if flush == Flush::AtTheEnd => file.sync_all()?,
        None => {}
    }
    drop(file);
    std::fs::rename(&partial, path)?;
    Ok(())
}
