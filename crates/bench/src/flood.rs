//! Who still gets in while others flood the server? Two flaws that the article's designs keep,
//! measured with the chapters' release builds:
//!
//! - **ch13** takes one caller at a time, and gives each up to `--auth-timeout` (5 s by
//!   default) to answer its challenge. Keyless callers that connect, say nothing, and call
//!   again as soon as they are hung up keep a legitimate client waiting: each one ahead of it
//!   costs it the whole time limit, and more of them than the listen queue holds (5) can keep
//!   it out for good. For contrast, the same callers sending a wrong answer at once.
//! - **ch14** starts a thread for every connection and never times one out. Idle connections
//!   use up its file descriptors (its `ulimit -n`); then `accept()` fails, and nobody else gets
//!   in until they leave.
//!
//! A legitimate client counts as locked out when it is not served within `--patience`.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request};

use crate::run;

#[derive(clap::Args)]
pub struct Options {
    /// How many keyless callers flood ch13, one measurement for each (comma-separated)
    #[arg(long, value_delimiter = ',', default_value = "1,3,6,10")]
    callers: Vec<usize>,
    /// ch13's --auth-timeout, in seconds
    #[arg(long, default_value_t = 5.0)]
    auth_timeout: f64,
    /// Runs of each ch13 measurement; the least, the median and the most are shown
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// ch14's limit on open file descriptors (its `ulimit -n`; 1024 is a common default)
    #[arg(long, default_value_t = 1024)]
    nofile: u64,
    /// How many idle connections flood ch14, beyond its descriptor limit
    #[arg(long, default_value_t = 100)]
    beyond: u64,
    /// How long a legitimate client waits before it counts as locked out, in seconds
    #[arg(long, default_value_t = 60)]
    patience: u64,
}

/// The key of the ch13 servers started here.
const KEY: &str = "flood benchmark key";

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let patience = Duration::from_secs(options.patience);
    ch13(bins, options, patience)?;
    println!();
    ch14(bins, options, patience)
}

/// ch13: a legitimate client behind keyless callers that call again and again.
fn ch13(bins: &Path, options: &Options, patience: Duration) -> anyhow::Result<()> {
    let server = run::bin(bins, "ch13", "server");
    let timeout = options.auth_timeout.to_string();
    println!(
        "ch13 (--auth-timeout {timeout}): a legitimate client arrives just after N callers \
         without the key, who call again as soon as they are hung up; {} runs each, \
         release builds, on this machine",
        options.runs
    );
    println!();
    println!(
        "| callers ahead, calling again and again | what they send | the legitimate client is served after |"
    );
    println!("|---|---|---|");
    let cases = std::iter::once((0, Caller::Silent))
        .chain(options.callers.iter().map(|&n| (n, Caller::Silent)))
        .chain(
            options
                .callers
                .iter()
                .max()
                .map(|&n| (n, Caller::WrongAnswer)),
        );
    for (callers, kind) in cases {
        let mut waits = Vec::new();
        let runs = if callers == 0 { 1 } else { options.runs };
        for _ in 0..runs {
            let mut command = Command::new(&server);
            command.args(["--key", KEY, "--auth-timeout", &timeout]);
            let server = Process::start(command)?;
            let flood = Flood::start(server.addr, callers, kind)?;
            waits.push(ch13_client(server.addr, patience)?);
            flood.stop();
        }
        let what = match (callers, kind) {
            (0, _) => "-",
            (_, Caller::Silent) => "nothing",
            (_, Caller::WrongAnswer) => "a wrong answer, at once",
        };
        println!("| {callers} | {what} | {} |", spread(&mut waits, patience));
    }
    Ok(())
}

/// ch14: a legitimate client before, during and after a flood of idle connections.
fn ch14(bins: &Path, options: &Options, patience: Duration) -> anyhow::Result<()> {
    let flood_size = options.nofile + options.beyond;
    println!(
        "ch14 (ulimit -n {}): a legitimate client gets a 1000-byte file before, during and \
         after {flood_size} idle connections; release builds, on this machine",
        options.nofile
    );
    println!();
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("small.txt"), [7u8; 1000])?;
    let server = run::bin(bins, "ch14", "server");
    let mut command = Command::new("sh");
    command
        .args(["-c", r#"ulimit -n "$0" && exec "$@""#])
        .arg(options.nofile.to_string())
        .arg(&server)
        .arg("--dir")
        .arg(dir.path());
    let server = Process::start(command)?;

    println!("| | |");
    println!("|---|---|");
    let before = ch14_client(server.addr, patience)?;
    println!(
        "| a get, nobody else connected | {} |",
        shown(before, patience)
    );

    // Idle connections: connect, then say nothing. Once the server is out of descriptors,
    // the kernel still completes handshakes into the listen queue, until that is full too.
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..flood_size {
        match TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)) {
            Ok(conn) => idle.push(conn),
            Err(error) if error.kind() == ErrorKind::TimedOut => {}
            Err(error) => return Err(error).context("an idle connection"),
        }
    }
    let opened = started.elapsed();
    let rejected = server.wait_for("accept failed", Duration::from_secs(10));
    println!(
        "| {} idle connections | opened in {:.2} s; the server holds {} threads, {} |",
        idle.len(),
        opened.as_secs_f64(),
        server.status("Threads").unwrap_or_else(|| "?".into()),
        server
            .status("VmRSS")
            .and_then(|rss| rss.strip_suffix(" kB")?.parse::<f64>().ok())
            .map_or("?".into(), |kib| format!(
                "{:.0} MiB of memory",
                kib / 1024.0
            )),
    );
    let during = ch14_client(server.addr, patience)?;
    let failed = server.count("accept failed");
    let why = rejected.map_or(String::new(), |line| {
        format!(" (the server printed `{line}` {} times)", failed + 1)
    });
    println!(
        "| a get during the flood | {}{why} |",
        shown(during, patience)
    );

    // The flood hangs up: each idle connection's thread ends, and its descriptor is free.
    drop(idle);
    let after = ch14_client(server.addr, patience)?;
    println!(
        "| a get once the idle connections hang up | {} |",
        shown(after, patience)
    );
    Ok(())
}

/// What a flooding caller sends before it waits to be hung up.
#[derive(Clone, Copy)]
enum Caller {
    Silent,
    WrongAnswer,
}

/// Callers that each call, send what their kind sends, wait until the server hangs up, and
/// call again, until stopped.
struct Flood {
    stop: Arc<AtomicBool>,
    callers: Vec<JoinHandle<()>>,
}

impl Flood {
    /// Starts `n` callers and returns once each has got through once (or the server's listen
    /// queue is full and 3 seconds have passed).
    fn start(addr: SocketAddr, n: usize, kind: Caller) -> anyhow::Result<Flood> {
        let stop = Arc::new(AtomicBool::new(false));
        let through = Arc::new(AtomicUsize::new(0));
        let callers = (0..n)
            .map(|_| {
                let (stop, through) = (Arc::clone(&stop), Arc::clone(&through));
                thread::spawn(move || call_again_and_again(addr, kind, &stop, &through))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(3);
        while through.load(Ordering::SeqCst) < n && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        Ok(Flood { stop, callers })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for caller in self.callers {
            let _ = caller.join();
        }
    }
}

fn call_again_and_again(addr: SocketAddr, kind: Caller, stop: &AtomicBool, through: &AtomicUsize) {
    let mut first = true;
    while !stop.load(Ordering::SeqCst) {
        let Ok(mut phone) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) else {
            continue; // the listen queue was full: try again
        };
        if first {
            through.fetch_add(1, Ordering::SeqCst);
            first = false;
        }
        if let Caller::WrongAnswer = kind {
            let _ = phone.write_all(&[0u8; 32]);
        }
        // Wait until the server hangs up, looking up now and then to see whether to stop.
        let _ = phone.set_read_timeout(Some(Duration::from_millis(50)));
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::SeqCst) {
            match phone.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
    }
}

/// A legitimate ch13 client: passes the exam and gets its `hello` back in upper case. Returns
/// how long that took, or `None` if it did not happen within `patience`.
fn ch13_client(addr: SocketAddr, patience: Duration) -> anyhow::Result<Option<Duration>> {
    let started = Instant::now();
    let deadline = started + patience;
    let served = (|| -> std::io::Result<()> {
        let mut phone = TcpStream::connect_timeout(&addr, patience)?;
        phone.set_read_timeout(Some(left(deadline)?))?;
        let mut challenge = [0u8; 32];
        phone.read_exact(&mut challenge)?;
        phone.write_all(&ch13_hmac_auth::answer(KEY.as_bytes(), &challenge))?;
        phone.write_all(b"hello")?;
        phone.set_read_timeout(Some(left(deadline)?))?;
        let mut reply = [0u8; 5];
        phone.read_exact(&mut reply)?;
        if &reply != b"HELLO" {
            return Err(std::io::Error::other("a wrong reply"));
        }
        Ok(())
    })();
    in_time(served, started)
}

/// A legitimate ch14 client: gets `small.txt`. Returns how long that took, or `None` if it
/// did not happen within `patience`.
fn ch14_client(addr: SocketAddr, patience: Duration) -> anyhow::Result<Option<Duration>> {
    let started = Instant::now();
    let deadline = started + patience;
    let served = (|| -> std::io::Result<()> {
        let mut phone = TcpStream::connect_timeout(&addr, patience)?;
        phone.set_read_timeout(Some(left(deadline)?))?;
        let request = Request {
            cmd: "get".into(),
            filename: "small.txt".into(),
            ..Request::default()
        };
        phone.write_all(&pack_header(&request)?)?;
        match recv_header::<Reply>(&mut phone)? {
            Some(Reply::Ok { filesize: 1000 }) => {}
            other => return Err(std::io::Error::other(format!("{other:?}"))),
        }
        let mut data = [0u8; 1000];
        phone.read_exact(&mut data)
    })();
    in_time(served, started)
}

/// The time left until `deadline`; a timed-out error if there is none.
fn left(deadline: Instant) -> std::io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ErrorKind::TimedOut.into());
    }
    Ok(left)
}

/// How long since `started` if `served`, `None` if it ran out of time; an error otherwise.
fn in_time(served: std::io::Result<()>, started: Instant) -> anyhow::Result<Option<Duration>> {
    match served {
        Ok(()) => Ok(Some(started.elapsed())),
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Ok(None)
        }
        Err(error) => Err(error).context("the legitimate client"),
    }
}

/// A time, or that it did not happen within `patience`.
fn shown(wait: Option<Duration>, patience: Duration) -> String {
    match wait {
        Some(wait) if wait < Duration::from_secs(1) => {
            format!("{:.1} ms", wait.as_secs_f64() * 1000.0)
        }
        Some(wait) => format!("{:.1} s", wait.as_secs_f64()),
        None => format!("not served within {} s", patience.as_secs()),
    }
}

/// The least, the median and the most of some waits (or the only one).
fn spread(waits: &mut [Option<Duration>], patience: Duration) -> String {
    // A wait that never ended is longer than any that did.
    waits.sort_by_key(|wait| wait.unwrap_or(Duration::MAX));
    let least = shown(waits[0], patience);
    let median = shown(waits[waits.len() / 2], patience);
    let most = shown(waits[waits.len() - 1], patience);
    match waits.len() {
        1 => least,
        runs if least == most => format!("{least} (each of {runs} runs)"),
        _ => format!("{least} to {most} (median {median})"),
    }
}

/// A server started on a free loopback port, with its stdout lines at hand; killed when
/// dropped.
struct Process {
    child: Child,
    addr: SocketAddr,
    lines: Receiver<String>,
}

impl Process {
    /// Starts `command` with `--addr 127.0.0.1:0` added, and reads the address it listens on.
    fn start(mut command: Command) -> anyhow::Result<Process> {
        let mut child = command
            .args(["--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start a server")?;
        let (send, lines) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(10))
            .context("the server printed nothing")?;
        let Some(addr) = first.strip_prefix("listening on ") else {
            bail!("the server printed {first:?}");
        };
        let addr = addr.parse()?;
        Ok(Process { child, addr, lines })
    }

    /// Waits up to `limit` for a line containing `needle`, and returns it.
    fn wait_for(&self, needle: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let line = self.lines.recv_timeout(left(deadline).ok()?).ok()?;
            if line.contains(needle) {
                return Some(line);
            }
        }
    }

    /// How many of the lines printed since the last look contain `needle`.
    fn count(&self, needle: &str) -> usize {
        self.lines
            .try_iter()
            .filter(|line| line.contains(needle))
            .count()
    }

    /// A field of the server's `/proc/PID/status` (Linux), e.g. `Threads` or `VmRSS`.
    fn status(&self, field: &str) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status
            .lines()
            .find(|line| line.starts_with(&format!("{field}:")))?;
        Some(line.split_once(':')?.1.trim().to_owned())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
