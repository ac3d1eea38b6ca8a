//! What every check needs: the programs under test, steps that pass or say what is wrong, and
//! bounded waits.
//!
//! A check is a list of [`Step`]s. Each step runs the student's real programs (built from their
//! crate), drives them as a user or a peer would, and either passes or returns a message in
//! the student's terms: what their program did, what it should have done, and a hint. A step
//! that panics (a testkit helper gave up, say) fails with the panic's message.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// How long a step waits for something a correct program does at once (a reply on the
/// loopback, a program ending after its input). Generous for a busy machine; a program that
/// is stuck costs this long to find out.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long a step watches for something that must *not* happen (a reply to a client who
/// should be waiting). A wrong program usually does it within milliseconds.
pub const QUIET: Duration = Duration::from_secs(2);

/// What a step says when it fails.
pub type Outcome = Result<(), String>;

/// One thing a check proves, e.g. "a length of -1 is refused".
pub struct Step {
    pub what: &'static str,
    pub run: fn(&Ctx) -> Outcome,
}

/// Where the programs under test are, and where the repository is (for the Python peers).
pub struct Ctx {
    pub bins: PathBuf,
    pub repo: PathBuf,
}

impl Ctx {
    /// One of the programs under test, by its name (`server`, `client`, ...).
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bins
            .join(name)
            .with_extension(std::env::consts::EXE_EXTENSION)
    }

    /// A chapter's Python peer: `crates/CRATE/tests/peers/NAME.py`.
    pub fn peer(&self, krate: &str, name: &str) -> PathBuf {
        testkit::peer(
            &self.repo.join("crates").join(krate).to_string_lossy(),
            name,
        )
    }
}

/// What running a check's steps found: each step's name and outcome, in order. Steps after
/// the first failure are not run (`None`): each builds on the ones before.
pub struct Report {
    pub steps: Vec<(&'static str, Option<Outcome>)>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.steps
            .iter()
            .all(|(_, outcome)| matches!(outcome, Some(Ok(()))))
    }

    /// The first failure: its step and message.
    pub fn failure(&self) -> Option<(&'static str, &str)> {
        self.steps.iter().find_map(|(what, outcome)| match outcome {
            Some(Err(why)) => Some((*what, why.as_str())),
            _ => None,
        })
    }

    /// The report as a student reads it.
    pub fn print(&self) {
        for (what, outcome) in &self.steps {
            match outcome {
                Some(Ok(())) => println!("  ok       {what}"),
                Some(Err(why)) => {
                    println!("  NOT YET  {what}");
                    for line in why.lines() {
                        println!("           {line}");
                    }
                }
                None => println!("  ...      {what} (checked once the one above passes)"),
            }
        }
    }
}

/// Runs the steps in order, up to the first that fails.
pub fn run_steps(steps: &[Step], ctx: &Ctx) -> Report {
    let mut report = Report { steps: Vec::new() };
    let mut failed = false;
    for step in steps {
        if failed {
            report.steps.push((step.what, None));
            continue;
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| (step.run)(ctx)))
            .unwrap_or_else(|payload| Err(panic_message(&payload)));
        failed = outcome.is_err();
        report.steps.push((step.what, Some(outcome)));
    }
    report
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    format!("the check could not go on: {text}")
}

/// Panics inside steps are reported by [`run_steps`]; this keeps Rust from also printing them.
pub fn quiet_panics() {
    panic::set_hook(Box::new(|_| {}));
}

/// A program that ran (or was stopped) with its input, and what it printed.
pub struct Ran {
    /// Whether it ended by itself within the time allowed (else it was killed).
    pub finished: bool,
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Whether it panicked, and the panic's message if so (Rust prints where, then what).
    pub fn panic(&self) -> Option<String> {
        let mut lines = self
            .stderr
            .lines()
            .skip_while(|line| !line.contains("panicked at"));
        let at = lines.next()?;
        Some(format!("{at}\n  {}", lines.next().unwrap_or_default()))
    }

    /// Everything it printed, stdout then stderr, for messages and searches.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Its output, indented, for a failure message: all of it if it is short; else the lines
    /// that say the most (replies' `[N bytes]`, errors, prompts) and the last few.
    pub fn shown(&self) -> String {
        let output = self.output();
        let lines: Vec<&str> = output.lines().collect();
        let cut = |line: &str| -> String {
            let short: String = line.chars().take(160).collect();
            if short.len() < line.len() {
                format!("{short}...")
            } else {
                short
            }
        };
        if lines.is_empty() {
            return "  (it printed nothing)\n".into();
        }
        if lines.len() <= 14 {
            return lines
                .iter()
                .map(|line| format!("  | {}\n", cut(line)))
                .collect();
        }
        let notable = |line: &&&str| {
            (line.starts_with('[') && line.ends_with(" bytes]"))
                || ["Error", "error", "panicked", ">>:", "ftp>", "the server"]
                    .iter()
                    .any(|word| line.contains(word))
        };
        let mut shown = format!(
            "  ({} lines; the ones that say the most, then the last:)\n",
            lines.len()
        );
        let head = &lines[..lines.len() - 3];
        for line in head.iter().filter(notable).take(10) {
            shown.push_str(&format!("  | {}\n", cut(line)));
        }
        shown.push_str("  | ...\n");
        for line in &lines[lines.len() - 3..] {
            shown.push_str(&format!("  | {}\n", cut(line)));
        }
        shown
    }
}

/// Runs `program` with `args`, writes `input` to its stdin and closes it, and waits up to
/// `within` for it to end; kills it if it does not.
pub fn run_for(program: &Path, args: &[&str], input: &str, within: Duration) -> Ran {
    let mut command = Command::new(program);
    command.args(args);
    run_command_for(command, input, within)
}

/// [`run_for`] for a prepared command (a working directory, an environment variable).
pub fn run_command_for(mut command: Command, input: &str, within: Duration) -> Ran {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()));
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_owned();
    // A program may end before it reads all its input: that is for the step to judge.
    thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = read_all(child.stdout.take().expect("piped"));
    let stderr = read_all(child.stderr.take().expect("piped"));
    let status = child.wait_timeout(within).expect("wait for a program");
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ran {
        finished: status.is_some(),
        success: status.is_some_and(|status| status.success()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A one-call server on a free loopback port, for checks that play the server: `talk` gets
/// the connection. Returns the address to give the client.
pub fn fake_server(talk: impl FnOnce(TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("its address");
    thread::spawn(move || {
        if let Ok((conn, _)) = listener.accept() {
            let _ = conn.set_read_timeout(Some(WAIT * 2));
            talk(conn);
        }
    });
    addr
}

/// Connects to `addr`, with reads that give up after [`WAIT`].
pub fn dial(addr: SocketAddr) -> Result<TcpStream, String> {
    let conn = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    conn.set_read_timeout(Some(WAIT))
        .expect("set a read timeout");
    Ok(conn)
}

/// How a wait for bytes on a connection ended.
#[derive(Debug, PartialEq)]
pub enum Got {
    /// All the bytes asked for.
    All(Vec<u8>),
    /// The peer closed (or reset) the connection after these bytes.
    Closed(Vec<u8>),
    /// These bytes, then nothing until the time ran out.
    Late(Vec<u8>),
}

/// Reads `n` bytes from `conn`, waiting at most `within` in all.
pub fn recv_exactly(conn: &mut TcpStream, n: usize, within: Duration) -> Got {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = vec![0u8; n.min(64 * 1024)];
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Got::Late(got);
        }
        conn.set_read_timeout(Some(left))
            .expect("set a read timeout");
        let want = (n - got.len()).min(buf.len());
        match conn.read(&mut buf[..want]) {
            Ok(0) => return Got::Closed(got),
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Got::Late(got);
            }
            Err(_) => return Got::Closed(got),
        }
    }
    Got::All(got)
}

/// Waits up to `within` for the peer to close `conn`, throwing away what it sends; says
/// whether it closed.
pub fn closed_within(conn: &mut TcpStream, within: Duration) -> bool {
    matches!(recv_exactly(conn, usize::MAX, within), Got::Closed(_))
}

/// Waits until `condition` holds, checking every few milliseconds, for at most `within`.
pub fn eventually(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Starts a server under test on a free port (`--addr 127.0.0.1:0` and `args`) and reads the
/// address from its first line, with a message a student can act on if it does not come.
pub fn start_server(
    program: &Path,
    args: &[&str],
) -> Result<(testkit::Program, SocketAddr), String> {
    let mut command = Command::new(program);
    command.args(["--addr", "127.0.0.1:0"]).args(args);
    spawn_server(command)
}

/// [`start_server`] for a prepared command that carries its own `--addr`.
pub fn spawn_server(command: Command) -> Result<(testkit::Program, SocketAddr), String> {
    let shown = format!("{:?}", command.get_program());
    let mut server = testkit::Program::spawn(command);
    let Some(first) = server.line_within(WAIT) else {
        return Err(format!(
            "the server ({shown}) did not print its first line, `listening on HOST:PORT`, \
             within {WAIT:?}; it printed on stderr:\n{}",
            server.stderr()
        ));
    };
    let addr = first
        .strip_prefix("listening on ")
        .and_then(|addr| addr.parse().ok())
        .ok_or_else(|| {
            format!(
                "the server's first line should be `listening on HOST:PORT`, as in every \
                 chapter; it was {first:?}"
            )
        })?;
    Ok((server, addr))
}

/// What a [`Proxy`] does to the bytes it passes on, in each connection.
#[derive(Clone, Copy, Default)]
pub struct Plan {
    /// Passes on only this many bytes from the client to the server, then holds the rest.
    pub stall_up_after: Option<usize>,
    /// The same, from the server to the client.
    pub stall_down_after: Option<usize>,
    /// Flips the bits of the byte at this position in what the server sends.
    pub flip_down_at: Option<usize>,
    /// Passes on at most this many bytes a second from the client to the server.
    pub up_rate: Option<u64>,
}

/// A TCP proxy between a client under test and a server: it counts (and keeps the start of)
/// what goes each way, and can hold, slow or damage it, as a network might.
pub struct Proxy {
    pub addr: SocketAddr,
    /// Everything passed on, each way: (client to server, server to client), the first MiB.
    pub seen: std::sync::Arc<std::sync::Mutex<(Vec<u8>, Vec<u8>)>>,
    /// How many bytes were passed on, each way.
    pub passed: std::sync::Arc<[std::sync::atomic::AtomicUsize; 2]>,
}

impl Proxy {
    pub fn start(target: SocketAddr, plan: Plan) -> Proxy {
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let proxy = Proxy {
            addr: listener.local_addr().expect("its address"),
            seen: Arc::new(Mutex::new((Vec::new(), Vec::new()))),
            passed: Arc::new(Default::default()),
        };
        let (seen, passed) = (Arc::clone(&proxy.seen), Arc::clone(&proxy.passed));
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                for (up, from, to) in [
                    (true, client.try_clone(), server.try_clone()),
                    (false, server.try_clone(), client.try_clone()),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else {
                        continue;
                    };
                    let (seen, passed) = (Arc::clone(&seen), Arc::clone(&passed));
                    thread::spawn(move || pump(from, to, up, plan, &seen, &passed));
                }
            }
        });
        proxy
    }

    /// Bytes passed on from the client to the server (`up`) or back.
    pub fn passed(&self, up: bool) -> usize {
        self.passed[usize::from(!up)].load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    up: bool,
    plan: Plan,
    seen: &std::sync::Mutex<(Vec<u8>, Vec<u8>)>,
    passed: &[std::sync::atomic::AtomicUsize; 2],
) {
    let stall = if up {
        plan.stall_up_after
    } else {
        plan.stall_down_after
    };
    let rate = if up { plan.up_rate } else { None };
    let flip = if up { None } else { plan.flip_down_at };
    let started = Instant::now();
    let mut done = 0usize;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let pass = stall.map_or(n, |limit| n.min(limit.saturating_sub(done)));
        let chunk = &mut buf[..pass];
        if let Some(at) = flip.filter(|at| (done..done + pass).contains(at)) {
            chunk[at - done] ^= 0xff;
        }
        if let Some(rate) = rate {
            // Hold these bytes until they are due, at `rate` bytes a second.
            let due = Duration::from_secs_f64((done + pass) as f64 / rate as f64);
            thread::sleep(due.saturating_sub(started.elapsed()));
        }
        if pass > 0 && to.write_all(chunk).is_err() {
            break;
        }
        {
            let mut seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let kept = if up { &mut seen.0 } else { &mut seen.1 };
            let room = (1usize << 20).saturating_sub(kept.len()).min(pass);
            kept.extend_from_slice(&buf[..room]);
        }
        done += pass;
        passed[usize::from(!up)].fetch_add(pass, std::sync::atomic::Ordering::SeqCst);
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// Text a program should have printed, as a failure message names it: short text as it is, a
/// long one by its size and its first and last lines.
pub fn describe(text: &str) -> String {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    if text.len() <= 40 || lines.len() < 3 {
        return format!("{text:?}");
    }
    format!(
        "the {} bytes from {:?} to {:?} ({} lines)",
        text.len(),
        lines[0],
        lines[lines.len() - 1],
        lines.len()
    )
}

/// The first of `parts` that `output` does not hold after the ones before it, if any: for
/// replies that must come out whole and in order. Each part may start with the newline that
/// ended the one before it.
pub fn first_missing<'a>(output: &str, parts: &[&'a str]) -> Option<&'a str> {
    let mut rest = format!("\n{output}");
    for part in parts {
        let Some(at) = rest.find(part) else {
            return Some(part);
        };
        rest = rest[at + part.len().saturating_sub(1)..].to_owned();
    }
    None
}
