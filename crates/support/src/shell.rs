//! Running the remote shell's commands (chapters 九, 十一, 十二), safely enough for a classroom.
//!
//! The article runs `subprocess.Popen(cmd, shell=True)` and reads all of stderr and stdout.
//! [`run`] does the same with `sh -c` (`cmd /C` on Windows), and adds the limits a server
//! needs so that no command can take it down: no stdin (a command that reads it sees end of
//! input instead of hanging), at most [`OUTPUT_LIMIT`] bytes kept from each stream, and at
//! most [`TIME_LIMIT`] of running time.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use wait_timeout::ChildExt;

/// The most a command may print on each of stdout and stderr; the rest is cut off.
pub const OUTPUT_LIMIT: usize = 64 << 20;

/// How long a command may run before it is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

/// What a command printed.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `command` with the system shell and collects what it prints. Never fails: a command
/// that cannot be started, runs too long or prints too much is reported on its stderr.
pub fn run(command: &str) -> Output {
    run_for(command, TIME_LIMIT)
}

fn run_for(command: &str, limit: Duration) -> Output {
    let mut shell = if cfg!(windows) {
        let mut cmd = Command::new("cmd");
        cmd.arg("/C");
        cmd
    } else {
        let mut sh = Command::new("sh");
        sh.arg("-c");
        sh
    };
    let child = shell
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    match child {
        Ok(child) => collect(child, limit),
        Err(error) => Output {
            stdout: Vec::new(),
            stderr: format!("cannot start the shell: {error}\n").into_bytes(),
        },
    }
}

fn collect(mut child: Child, limit: Duration) -> Output {
    let stdout = Pipe::read(child.stdout.take());
    let stderr = Pipe::read(child.stderr.take());
    // Wait for the command to exit, `limit` at most; after that, kill it.
    let killed = !matches!(child.wait_timeout(limit), Ok(Some(_)));
    if killed {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (stdout, out_cut) = stdout.take();
    let (mut stderr, err_cut) = stderr.take();
    if killed {
        let secs = limit.as_secs_f64();
        stderr.extend_from_slice(format!("[killed: ran longer than {secs} s]\n").as_bytes());
    }
    if out_cut || err_cut {
        let mib = OUTPUT_LIMIT >> 20;
        stderr.extend_from_slice(format!("[output cut off at {mib} MiB]\n").as_bytes());
    }
    Output { stdout, stderr }
}

/// One of the command's output pipes, read to its end on a thread: at most [`OUTPUT_LIMIT`]
/// bytes are kept, and reading goes on past the limit so the command never blocks on a full pipe.
struct Pipe {
    kept: Arc<Mutex<(Vec<u8>, bool)>>,
    done: Receiver<()>,
}

impl Pipe {
    fn read(pipe: Option<impl Read + Send + 'static>) -> Pipe {
        let kept = Arc::new(Mutex::new((Vec::new(), false)));
        let (finished, done) = mpsc::channel();
        let shared = Arc::clone(&kept);
        thread::spawn(move || {
            if let Some(mut pipe) = pipe {
                let mut chunk = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    let mut kept = shared.lock().unwrap();
                    let room = OUTPUT_LIMIT - kept.0.len();
                    kept.0.extend_from_slice(&chunk[..n.min(room)]);
                    kept.1 |= n > room;
                }
            }
            let _ = finished.send(());
        });
        Pipe { kept, done }
    }

    /// What was read, and whether some was cut off. Once the command has exited, what it
    /// printed is at most a pipe buffer away; but a background job may hold the pipe open
    /// (`sleep 100 &`), so this waits half a second at most for the end.
    fn take(self) -> (Vec<u8>, bool) {
        let _ = self.done.recv_timeout(Duration::from_millis(500));
        std::mem::take(&mut *self.kept.lock().unwrap())
    }
}

/// A remote shell runs whatever it is sent, as you. It listens on a loopback address (only
/// this machine can reach it) unless `allow_remote` says otherwise, and then it warns.
pub fn refuse_remote(addr: SocketAddr, allow_remote: bool) -> anyhow::Result<()> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if !allow_remote {
        anyhow::bail!(
            "refusing to listen on {addr}: this server runs any command it is sent, so anyone \
             who can reach {addr} could run commands as you; use a loopback address such as \
             127.0.0.1, or pass --allow-remote if you really mean it"
        );
    }
    eprintln!(
        "warning: serving a remote shell on {addr}: anyone who can reach it can run commands as you"
    );
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn stdout_and_stderr_are_kept_apart() {
        let out = run("echo out; echo err >&2");
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn a_command_waiting_for_input_sees_end_of_input() {
        let out = run("cat; echo done");
        assert_eq!(out.stdout, b"done\n");
    }

    #[test]
    fn a_background_job_does_not_hold_the_answer() {
        let started = Instant::now();
        let out = run("echo quick; sleep 5 &");
        assert_eq!(out.stdout, b"quick\n");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn a_command_that_runs_too_long_is_killed() {
        let started = Instant::now();
        let out = run_for("echo started; sleep 10", Duration::from_millis(300));
        assert_eq!(out.stdout, b"started\n");
        assert_eq!(out.stderr, b"[killed: ran longer than 0.3 s]\n");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn only_loopback_unless_allowed() {
        let local: SocketAddr = "127.0.0.1:8009".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8009".parse().unwrap();
        assert!(refuse_remote(local, false).is_ok());
        let refused = refuse_remote(any, false).unwrap_err().to_string();
        assert!(refused.contains("--allow-remote"), "{refused}");
        assert!(refuse_remote(any, true).is_ok());
    }
}
