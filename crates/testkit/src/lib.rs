//! Helpers for the chapters' integration tests.
//!
//! Tests start the real `server` and `client` binaries (see [`bin!`]), let
//! the server pick a free port with `--addr 127.0.0.1:0`, read the address from its first line
//! of output (`listening on 127.0.0.1:PORT`), and then assert what a student would see.
//! Every wait here has a time limit, so a test that goes wrong fails instead of hanging, and
//! every started process is killed when its [`Program`] is dropped.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// How long a test waits for something that should happen: generous, because two cores may be
/// busy compiling or running other tests, yet short enough that a hang fails quickly.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How long a test watches for something that should *not* happen (a reply that must not come,
/// a client that must stay blocked). Only tests of a blocking flaw use it.
pub const QUIET: Duration = Duration::from_millis(700);

/// One of the chapter's binaries, for [`Program::start`] and friends:
/// `static SERVER: Bin = testkit::bin!("server");`
///
/// Why not cargo's `env!("CARGO_BIN_EXE_server")`? Every chapter has a `server` and a
/// `client` (the class types `--bin server`), and cargo's documented paths for them,
/// `CARGO_BIN_EXE_<name>` and the `executable` of `--message-format=json`, are both the copy
/// in `target/debug/server`. When one cargo command builds several chapters (`cargo test
/// --workspace`), each chapter's `server` is copied there in turn (cargo's "output filename
/// collision" warning) and every test would run the last one. So this looks in cargo's
/// build folder instead, where each package's build has a name of its own:
///
/// - `debug/deps/server-<hash>`, and `debug/.fingerprint/<package>-<hash>/bin-server` says which
///   package and target the hash belongs to (cargo's layout today);
/// - `debug/build/<package>/<hash>/out/server`, with `fingerprint/bin-server` beside `out/`
///   (the layout cargo is moving to, `-Zbuild-dir-new-layout`).
///
/// The folder is the one the test itself runs from, so the profile (`debug`, `release`, a
/// `--target`) and a `build.build-dir` setting are the test's own. If a package has several
/// builds there (from `cargo build` and `cargo test` with different features, say), the
/// newest is taken: `cargo test` has just brought the one it needs up to date. If the
/// layout is neither of these, the test fails with a message that says so.
pub struct Bin {
    package: &'static str,
    name: &'static str,
    path: OnceLock<PathBuf>,
}

/// The chapter's binary called `$name` (see [`Bin`]).
#[macro_export]
macro_rules! bin {
    ($name:literal) => {
        $crate::Bin::new(env!("CARGO_PKG_NAME"), $name)
    };
}

impl Bin {
    #[doc(hidden)]
    pub const fn new(package: &'static str, name: &'static str) -> Bin {
        Bin {
            package,
            name,
            path: OnceLock::new(),
        }
    }

    /// The path of this chapter's build of the binary. Fails the test with an explanation if
    /// there is none.
    pub fn path(&self) -> &Path {
        self.path.get_or_init(|| {
            let test = std::env::current_exe().expect("the test's own path");
            locate(&test, self.package, self.name).unwrap_or_else(|why| panic!("{why}"))
        })
    }
}

/// Finds `package`'s build of its binary `name` in the cargo build folder that `test` (an
/// executable cargo built) runs from. See [`Bin`] for the two layouts it knows.
fn locate(test: &Path, package: &str, name: &str) -> Result<PathBuf, String> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let marker = format!("bin-{name}");
    let dir = test.parent().unwrap_or(Path::new(""));
    let mut builds = Vec::new();
    let searched = if dir.file_name() == Some(OsStr::new("deps")) {
        // <profile>/deps/<name>-<hash>, described by <profile>/.fingerprint/<package>-<hash>/.
        let fingerprints = dir.with_file_name(".fingerprint");
        for unit in read_dir(&fingerprints)? {
            let Some((unit_package, hash)) = unit
                .file_name()
                .and_then(OsStr::to_str)
                .and_then(|n| n.rsplit_once('-'))
            else {
                continue;
            };
            if unit_package == package && unit.join(&marker).is_file() {
                let stem = name.replace('-', "_");
                builds.push(dir.join(format!("{stem}-{hash}{}", std::env::consts::EXE_SUFFIX)));
            }
        }
        fingerprints
    } else if let Some(build) = new_layout_build_dir(dir) {
        // <profile>/build/<package>/<hash>/{out/<name>, fingerprint/bin-<name>}.
        let units = build.join(package);
        for unit in read_dir(&units)? {
            if unit.join("fingerprint").join(&marker).is_file() {
                builds.push(unit.join("out").join(&file));
            }
        }
        units
    } else {
        return Err(format!(
            "testkit cannot find {package}'s `{name}`: this test runs from {}, which is neither \
             cargo's <profile>/deps/ folder nor <profile>/build/<package>/<hash>/out/; has \
             cargo's build folder changed its layout? (see testkit::Bin)",
            dir.display()
        ));
    };
    builds
        .into_iter()
        .filter_map(|exe| Some((exe.metadata().ok()?.modified().ok()?, exe)))
        .max()
        .map(|(_, exe)| exe)
        .ok_or_else(|| {
            format!(
                "testkit found no build of {package}'s `{name}` under {}: cargo builds a \
                 package's binaries before its integration tests, so run this test with \
                 `cargo test -p {package}`",
                searched.display()
            )
        })
}

/// For a test in `<profile>/build/<package>/<hash>/out/`, the `<profile>/build` folder.
fn new_layout_build_dir(dir: &Path) -> Option<&Path> {
    if dir.file_name()? != "out" {
        return None;
    }
    let build = dir.parent()?.parent()?.parent()?;
    (build.file_name()? == "build").then_some(build)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("testkit cannot read {}: {e}", dir.display()))?;
    Ok(entries
        .filter_map(|entry| Some(entry.ok()?.path()))
        .collect())
}

impl AsRef<OsStr> for Bin {
    fn as_ref(&self) -> &OsStr {
        self.path().as_os_str()
    }
}

/// A running program with its stdin, its stdout as lines, and its stderr collected.
pub struct Program {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_ended: Receiver<()>,
}

impl Program {
    /// Starts `program` with `args`, all three standard streams piped.
    pub fn start(program: impl AsRef<OsStr>, args: &[&str]) -> Program {
        let mut command = Command::new(program.as_ref());
        command.args(args);
        Program::spawn(command)
    }

    /// Starts a prepared command (for tests that set a working directory or environment).
    pub fn spawn(mut command: Command) -> Program {
        let name = Path::new(command.get_program())
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        let (ended, stderr_ended) = mpsc::channel();
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
            let _ = ended.send(());
        });
        Program {
            name,
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
            stderr_ended,
        }
    }

    /// Starts a server binary on a free loopback port and returns it with the address it
    /// printed on its first line (`listening on 127.0.0.1:PORT`).
    pub fn server(program: impl AsRef<OsStr>, args: &[&str]) -> (Program, SocketAddr) {
        Program::server_on(program, "127.0.0.1:0", args)
    }

    /// Like [`Program::server`], on a given address (to restart a server on its old port).
    pub fn server_on(
        program: impl AsRef<OsStr>,
        addr: &str,
        args: &[&str],
    ) -> (Program, SocketAddr) {
        let mut command = Command::new(program.as_ref());
        command.args(["--addr", addr]).args(args);
        Program::spawn_server(command)
    }

    /// Like [`Program::server`], for a prepared command that already carries its `--addr`.
    pub fn spawn_server(command: Command) -> (Program, SocketAddr) {
        let mut server = Program::spawn(command);
        let addr = server.address();
        (server, addr)
    }

    /// Reads the `listening on HOST:PORT` line and returns the address.
    pub fn address(&mut self) -> SocketAddr {
        let first = self.line();
        let addr = first.strip_prefix("listening on ").unwrap_or_else(|| {
            panic!(
                "{}: first line is not 'listening on ...': {first}",
                self.name
            )
        });
        addr.parse()
            .unwrap_or_else(|e| panic!("{}: bad address {addr:?}: {e}", self.name))
    }

    /// The next line of stdout. Panics (failing the test) if none comes within [`PATIENCE`].
    pub fn line(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => self.keep(line),
            Err(RecvTimeoutError::Timeout) => self.fail("no line within the time limit"),
            Err(RecvTimeoutError::Disconnected) => self.fail("output ended, expected another line"),
        }
    }

    /// The next line of stdout if one comes within `within`; `None` if the program stays quiet
    /// or its output ends. For asserting that something does *not* happen.
    pub fn line_within(&mut self, within: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(within).ok()?;
        Some(self.keep(line))
    }

    /// Reads lines until one contains `needle`, and returns it. Fails after [`PATIENCE`].
    pub fn line_containing(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return self.keep(line),
                Ok(line) => {
                    self.keep(line);
                }
                Err(_) => self.fail(&format!("no line containing {needle:?}")),
            }
        }
    }

    /// Writes `text` to the program's stdin.
    pub fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
    }

    /// Closes stdin: the program sees end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit by itself (failing after [`PATIENCE`]) and returns its
    /// exit status. Everything it wrote to stderr is then in [`Program::stderr`].
    pub fn wait(&mut self) -> ExitStatus {
        self.close_stdin();
        let started = Instant::now();
        match self.child.wait_timeout(PATIENCE) {
            Ok(Some(status)) => {
                let left = PATIENCE.saturating_sub(started.elapsed());
                let _ = self.stderr_ended.recv_timeout(left);
                status
            }
            Ok(None) => self.fail("did not exit within the time limit"),
            Err(error) => self.fail(&format!("cannot wait for it: {error}")),
        }
    }

    /// Whether the program has exited.
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// All remaining stdout lines, up to end of output (waits for the program to exit first).
    pub fn rest(&mut self) -> Vec<String> {
        self.wait();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            rest.push(self.keep(line));
        }
        rest
    }

    /// Everything the program wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// The process id, for tests that send signals.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the program (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn keep(&mut self, line: String) -> String {
        self.seen.push(line.clone());
        line
    }

    fn fail(&mut self, what: &str) -> ! {
        self.kill();
        // Let the stderr reader drain what the dead process left in the pipe.
        let _ = self.stderr_ended.recv_timeout(Duration::from_millis(500));
        panic!(
            "{}: {what}\n--- stdout so far ---\n{}\n--- stderr ---\n{}",
            self.name,
            self.seen.join("\n"),
            self.stderr()
        );
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a client to completion with `input` on stdin and returns its stdout lines, its
/// stderr, and whether it succeeded. Fails the test if it runs longer than [`PATIENCE`].
pub fn run(program: impl AsRef<OsStr>, args: &[&str], input: &str) -> Finished {
    let mut command = Command::new(program.as_ref());
    command.args(args);
    run_command(command, input)
}

/// Like [`run`], for a prepared command (a working directory, an environment variable).
pub fn run_command(command: Command, input: &str) -> Finished {
    let mut program = Program::spawn(command);
    // The program may exit before reading its input (a bad argument, say): that is for the
    // test to check, not a reason to fail here.
    if let Some(stdin) = program.stdin.as_mut() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let status = program.wait();
    let stdout = program.rest();
    Finished {
        success: status.success(),
        stdout,
        stderr: program.stderr(),
    }
}

/// What a finished program printed.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    pub stdout: Vec<String>,
    pub stderr: String,
}

/// Waits until `condition` holds, checking every few milliseconds, for things a test cannot
/// be told about (a file reaching a size, a line on stderr). Fails after [`PATIENCE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// A plain TCP connection for tests that speak the protocol by hand; reads and writes time out
/// after [`PATIENCE`].
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Closes a connection abruptly: with a zero linger time the kernel sends a reset (RST)
/// instead of the polite FIN, as when a machine crashes or a cable is pulled.
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
}

/// Starts one of a chapter's Python peers (`tests/peers/NAME.py`) with `python3 -u`.
pub fn python(script: impl AsRef<Path>, args: &[&str]) -> Program {
    let mut command = Command::new("python3");
    command.arg("-u").arg(script.as_ref()).args(args);
    Program::spawn(command)
}

/// The path of a chapter's Python peer, for use with [`python`]:
/// `peer(env!("CARGO_MANIFEST_DIR"), "client")` is `<crate>/tests/peers/client.py`.
pub fn peer(manifest_dir: &str, name: &str) -> PathBuf {
    Path::new(manifest_dir)
        .join("tests/peers")
        .join(format!("{name}.py"))
}

/// A reader that hands out its bytes in the given piece sizes, in turn, as a TCP socket may:
/// for testing that a decoder does not care where the stream was cut.
pub struct Pieces {
    bytes: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl Pieces {
    /// `bytes`, handed out `sizes[0]` bytes at a time, then `sizes[1]`, ... and round again.
    pub fn new(bytes: Vec<u8>, sizes: Vec<usize>) -> Pieces {
        assert!(
            sizes.iter().all(|&size| size > 0),
            "a piece of 0 bytes would mean the end"
        );
        Pieces {
            bytes,
            at: 0,
            sizes,
            next: 0,
        }
    }

    /// How many bytes have been handed out so far.
    pub fn taken(&self) -> usize {
        self.at
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let n = size.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// What `seq 1 N` prints: the remote-shell chapters' long output.
pub fn seq(n: u32) -> String {
    (1..=n).map(|i| format!("{i}\n")).collect()
}

/// Reads one reply as the remote-shell clients print it (`support::show_reply`): a
/// `[N bytes]` line, then the text, plus a newline the client adds when the bytes do not end
/// with one. Returns the N bytes as text.
pub fn shell_reply(client: &mut Program) -> String {
    let header = client.line();
    let size: usize = header
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(" bytes]"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a reply header: {header:?}"));
    let mut text = String::new();
    while text.len() < size {
        text.push_str(&client.line());
        text.push('\n');
    }
    text.truncate(size);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, File};
    use std::time::SystemTime;

    /// Creates an empty file (and its folders), last modified `age` seconds ago.
    fn touch(path: &Path, age: u64) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = File::create(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    }

    fn exe(path: &Path) -> PathBuf {
        path.with_extension(std::env::consts::EXE_EXTENSION)
    }

    #[test]
    fn finds_the_packages_newest_build_in_the_deps_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let debug = tmp.path().join("debug");
        let (deps, prints) = (debug.join("deps"), debug.join(".fingerprint"));
        // Our package's server, built twice; its unit-test harness (also deps/server-<hash>);
        // another chapter's server, newer than all of them.
        touch(&prints.join("ch06-phone-echo-aaa/bin-server"), 0);
        touch(&exe(&deps.join("server-aaa")), 30);
        touch(&prints.join("ch06-phone-echo-bbb/bin-server"), 0);
        touch(&exe(&deps.join("server-bbb")), 20);
        touch(&prints.join("ch06-phone-echo-ccc/test-bin-server"), 0);
        touch(&exe(&deps.join("server-ccc")), 10);
        touch(&prints.join("ch07-link-loop-ddd/bin-server"), 0);
        touch(&exe(&deps.join("server-ddd")), 0);
        let test = exe(&deps.join("lesson-eee"));
        assert_eq!(
            locate(&test, "ch06-phone-echo", "server"),
            Ok(exe(&deps.join("server-bbb")))
        );
        // A name with a dash is built as a file with an underscore.
        touch(&prints.join("ch08-udp-chat-fff/bin-echo-server"), 0);
        touch(&exe(&deps.join("echo_server-fff")), 0);
        assert_eq!(
            locate(&test, "ch08-udp-chat", "echo-server"),
            Ok(exe(&deps.join("echo_server-fff")))
        );
    }

    #[test]
    fn finds_the_build_in_the_new_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let build = tmp.path().join("debug/build");
        touch(&build.join("ch06-phone-echo/aaa/fingerprint/bin-server"), 0);
        touch(&exe(&build.join("ch06-phone-echo/aaa/out/server")), 0);
        touch(
            &build.join("ch06-phone-echo/bbb/fingerprint/test-bin-server"),
            0,
        );
        touch(&exe(&build.join("ch06-phone-echo/bbb/out/server-bbb")), 0);
        touch(&build.join("ch07-link-loop/ccc/fingerprint/bin-server"), 0);
        touch(&exe(&build.join("ch07-link-loop/ccc/out/server")), 0);
        let test = exe(&build.join("ch06-phone-echo/ddd/out/lesson-ddd"));
        assert_eq!(
            locate(&test, "ch06-phone-echo", "server"),
            Ok(exe(&build.join("ch06-phone-echo/aaa/out/server")))
        );
    }

    #[test]
    fn an_unknown_layout_or_a_missing_build_is_explained() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("bin/lesson");
        let why = locate(&elsewhere, "ch06-phone-echo", "server").unwrap_err();
        assert!(why.contains("neither cargo's <profile>/deps/"), "{why}");

        let deps = tmp.path().join("debug/deps");
        touch(
            &tmp.path()
                .join("debug/.fingerprint/ch06-phone-echo-aaa/test-bin-server"),
            0,
        );
        let why = locate(&deps.join("lesson"), "ch06-phone-echo", "server").unwrap_err();
        assert!(
            why.contains("no build of ch06-phone-echo's `server`"),
            "{why}"
        );
        assert!(why.contains("cargo test -p ch06-phone-echo"), "{why}");
    }

    #[test]
    fn the_lookup_searches_where_this_test_runs() {
        // testkit has no binaries, but the lookup runs where cargo put this very test.
        let test = std::env::current_exe().unwrap();
        let why = locate(&test, "testkit", "server").unwrap_err();
        assert!(why.contains("no build of testkit's `server`"), "{why}");
    }
}
