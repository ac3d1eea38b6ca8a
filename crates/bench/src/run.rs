//! Starting the chapters' real binaries and timing their clients.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A chapter's binary in the `--bins` folder, e.g. `bin(bins, "ch12", "server")`.
pub fn bin(bins: &Path, chapter: &str, name: &str) -> PathBuf {
    bins.join(format!("{chapter}-{name}"))
}

/// A server started on a free loopback port; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(program: &Path, args: &[&str]) -> anyhow::Result<Server> {
        let mut child = Command::new(program)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        stdout.read_line(&mut first)?;
        let addr = first
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("{} printed {first:?}", program.display()))?
            .parse()?;
        // Keep draining what the server prints, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Ok(Server { child, addr })
    }
}

impl Server {
    /// The most memory the server has held at once (its peak resident set), in MiB, as
    /// Linux reports it (VmHWM); `None` elsewhere.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client to the end with `input` on stdin and its output thrown away; returns how
/// long it took.
pub fn time_client(program: &Path, args: &[&str], input: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())?;
    let output = child.wait_with_output()?;
    let took = started.elapsed();
    if !output.status.success() {
        bail!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(took)
}
