//! 十二's FTP, one client at a time (ch12b), against 十四's, a thread per client (ch14), and
//! both against the article's own servers: 十二's MYTCPServer (one at a time, recv(8192) and a
//! print per chunk) and 十四's FtpServer on socketserver.ThreadingTCPServer (recv(1024) and a
//! print per chunk).
//! Every upload is made by ch12b's Rust client, so only the servers differ:
//! - one large file (1 GiB), for throughput;
//! - many small files at once, each from its own client;
//! - the same beside one silent client, connected first and saying nothing.
//!
//! An upload counts when the file is on the server's disk at its full size. Everything is
//! written in a temporary folder that is deleted at the end.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::run;

#[derive(clap::Args)]
pub struct Options {
    /// Size of the large file, in MiB
    #[arg(long, default_value_t = 1024)]
    large_mib: u64,
    /// How many small uploads at once
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Size of each small file, in KiB
    #[arg(long, default_value_t = 64)]
    small_kib: u64,
    /// Runs of each measurement; the median is shown
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// How long to wait for uploads that cannot finish, in seconds
    #[arg(long, default_value_t = 30)]
    give_up_secs: u64,
}

/// The article's servers (the chapters' Python test peers), run with `python3 -u` as the
/// article's students run them: each print is written at once (to a pipe the benchmark drains;
/// a terminal would be slower still).
const ARTICLE_12: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ch12b-ftp/tests/peers/server.py"
);
const ARTICLE_14: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ch14-threaded-server/tests/peers/server.py"
);

#[derive(Clone, Copy)]
enum Server {
    Article(&'static str),
    Chapter(&'static str),
}

const SERVERS: [(Server, &str); 4] = [
    (Server::Article(ARTICLE_12), "article 十二 (one at a time)"),
    (Server::Chapter("ch12b"), "ch12b (one at a time)"),
    (Server::Article(ARTICLE_14), "article 十四 (threads)"),
    (Server::Chapter("ch14"), "ch14 (threads)"),
];

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let work = Scratch::new()?;
    let large = work.0.join("large.bin");
    write_file(&large, options.large_mib << 20)?;
    let smalls: Vec<PathBuf> = (0..options.clients)
        .map(|i| work.0.join(format!("small{i}.bin")))
        .collect();
    for small in &smalls {
        write_file(small, options.small_kib << 10)?;
    }
    let client = run::bin(bins, "ch12b", "client");
    let give_up = Duration::from_secs(options.give_up_secs);

    println!(
        "uploads by ch12b's client; median of {} runs; {} at once: {} KiB each",
        options.runs, options.clients, options.small_kib
    );
    println!();
    print!("| |");
    for (_, name) in SERVERS {
        print!(" {name} |");
    }
    println!();
    println!("|---|---|---|---|---|");

    // (row, files, a silent client first?, show the rate?)
    let rows: [(String, &[PathBuf], bool, bool); 3] = [
        (
            format!("one {} MiB file", options.large_mib),
            std::slice::from_ref(&large),
            false,
            true,
        ),
        (
            format!("{} small files at once", options.clients),
            &smalls,
            false,
            false,
        ),
        (
            format!("{} small files beside a silent client", options.clients),
            &smalls,
            true,
            false,
        ),
    ];
    for (name, files, silent, rate) in rows {
        print!("| {name} |");
        let mib = options.large_mib as f64;
        for (server, _) in SERVERS {
            let mut times = Vec::new();
            let mut short = None;
            for _ in 0..options.runs {
                let into = work.0.join("server");
                let result = upload(bins, server, &client, files, silent, &into, give_up);
                fs::remove_dir_all(&into)?;
                match result? {
                    Outcome::Done(took) => times.push(took.as_secs_f64()),
                    partial => {
                        short = Some(partial);
                        break;
                    }
                }
            }
            times.sort_by(f64::total_cmp);
            match short {
                Some(Outcome::Short { stored, failed }) => {
                    let n = files.len();
                    let secs = options.give_up_secs;
                    print!(" {stored} of {n} stored after {secs} s, {failed} clients failed |");
                }
                _ if rate => {
                    let took = times[times.len() / 2];
                    print!(" {took:.2} s ({:.0} MiB/s) |", mib / took);
                }
                _ => print!(" {:.2} s |", times[times.len() / 2]),
            }
            std::io::stdout().flush()?;
        }
        println!();
    }
    Ok(())
}

/// Starts `server` storing into `into`, optionally connects a silent client, then starts one
/// client per file, all at once. Returns how long until every file was stored in full, or
/// how far it got.
fn upload(
    bins: &Path,
    server: Server,
    client: &Path,
    files: &[PathBuf],
    silent: bool,
    into: &Path,
    give_up: Duration,
) -> anyhow::Result<Outcome> {
    fs::create_dir(into)?;
    let dir = into
        .to_str()
        .context("a temporary folder that is not UTF-8")?;
    let (mut command, reply) = match server {
        Server::Article(script) => {
            let mut command = Command::new("python3");
            // 十四's prints a traceback each time a client hangs up (see its errata).
            command.args(["-u", script, "0", dir]).stderr(Stdio::null());
            (command, false)
        }
        Server::Chapter(chapter) => {
            let mut command = Command::new(run::bin(bins, chapter, "server"));
            command.args(["--addr", "127.0.0.1:0", "--dir", dir]);
            command.stderr(Stdio::inherit());
            (command, true)
        }
    };
    let server = Started::spawn(&mut command)?;
    let _silent = silent
        .then(|| TcpStream::connect(server.addr))
        .transpose()?;

    let started = Instant::now();
    let mut clients = Vec::new();
    for file in files {
        let mut command = Command::new(client);
        command.args(["--addr", &server.addr.to_string()]);
        if !reply {
            command.arg("--no-reply"); // the article's server sends none
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()) // counted as failed, below
            .spawn()?;
        let mut stdin = child.stdin.take().context("piped")?;
        writeln!(stdin, "put {}", file.display())?;
        clients.push(Killed(child)); // its stdin closes here: it quits after the put
    }
    // Until every file is stored in full (our servers say so before their client quits; the
    // article's server needs a look at its folder), or until there is no hope of it.
    let deadline = started + give_up;
    loop {
        let mut exited = 0;
        let mut failed = 0;
        for Killed(child) in &mut clients {
            if let Some(status) = child.try_wait()? {
                exited += 1;
                failed += usize::from(!status.success());
            }
        }
        let stored = files
            .iter()
            .filter(|file| stored_in_full(file, into))
            .count();
        if stored == files.len() && exited == files.len() {
            return Ok(Outcome::Done(started.elapsed()));
        }
        if Instant::now() > deadline || (failed > 0 && exited == files.len()) {
            return Ok(Outcome::Short { stored, failed });
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// How an upload run ended.
enum Outcome {
    /// Every file stored, after this long.
    Done(Duration),
    /// Not all stored within the time limit, or some clients failed.
    Short { stored: usize, failed: usize },
}

/// Whether `file` is in `into` with all its bytes.
fn stored_in_full(file: &Path, into: &Path) -> bool {
    let (Ok(sent), Some(name)) = (file.metadata(), file.file_name()) else {
        return false;
    };
    into.join(name)
        .metadata()
        .is_ok_and(|stored| stored.len() == sent.len())
}

/// A server started on port 0, with what it prints drained; killed when dropped.
struct Started {
    _child: Killed,
    addr: SocketAddr,
}

impl Started {
    fn spawn(command: &mut Command) -> anyhow::Result<Started> {
        let mut child = Killed(
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()?,
        );
        let mut stdout = BufReader::new(child.0.stdout.take().context("piped")?);
        let mut first = String::new();
        stdout.read_line(&mut first)?;
        let Some(addr) = first.trim().strip_prefix("listening on ") else {
            bail!("the server printed {first:?}");
        };
        let addr = addr.parse()?;
        thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Ok(Started {
            _child: child,
            addr,
        })
    }
}

/// A child process that is killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary folder, deleted when dropped (the large files with it).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let path = std::env::temp_dir().join(format!("bench-ftp-{}", std::process::id()));
        fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `size` bytes that no compression or cache trick would shorten.
fn write_file(path: &Path, size: u64) -> anyhow::Result<()> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let block: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut file = std::io::BufWriter::new(fs::File::create(path)?);
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(())
}
