//! The client as a person uses it: it carries on after the server dropped an idle session,
//! keeps to `--limit-rate`, asks again after a typo in the password, leaves the terminal as
//! it was after Ctrl-C, and says plainly what it found.
//!
//! The tests that need a terminal run the client on one of its own (a pseudo-terminal) with
//! util-linux's `script`, as a person would run it in a window.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ch15_ftp_homework::auth::{self, Kdf};
use ch15_ftp_homework::proto::{self, Reply};
use common::{CLIENT, Site, password};
use indicatif::HumanBytes;
use serde_json::Value;

#[test]
fn a_client_left_idle_logs_in_again_by_itself_without_the_password() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&["--idle-timeout", "1"]);
    let (proxy, hung_up) = tell_hang_ups(addr);

    // The password is typed once, on a terminal, as a student would.
    let mut term = Terminal::run(&client_line(proxy, &["--user", "alice"]), &site, None);
    term.expect("password: ");
    term.type_keys(&format!("{}\r", password("alice")));
    term.expect("logged in as alice, in /");
    term.type_keys("mkdir docs\r");
    term.expect("created docs");
    term.type_keys("cd docs\r");
    term.expect("/docs");

    // The student listens to the teacher; the server drops the silent session.
    hung_up.recv_timeout(testkit::PATIENCE).unwrap();
    term.type_keys("pwd\r");
    term.expect("the server hung up; logged in again as alice, in /docs");
    term.expect("/docs");
    term.type_keys("quit\r");
    let rest = term.wait();
    assert!(
        !term
            .all()
            .split("logged in as alice")
            .nth(1)
            .unwrap()
            .contains("password"),
        "asked for the password again: {rest}"
    );
}

#[test]
fn a_request_the_server_hung_up_on_is_sent_again_after_a_new_login() {
    // A server that logs anyone in, then hangs up on the first request without answering it,
    // as one whose idle timeout runs out just as the request leaves; the next call is served.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tell, proofs) = mpsc::channel();
    thread::spawn(move || {
        for (call, conn) in listener.incoming().enumerate() {
            let mut conn = conn.unwrap();
            let _login: Option<Value> = proto::recv(&mut conn).unwrap();
            let challenge = Reply {
                salt: Some("00".repeat(16)),
                kdf: Some(Kdf { m: 8, t: 1, p: 1 }),
                challenge: Some("11".repeat(32)),
                ..Reply::ok()
            };
            proto::send(&mut conn, &challenge).unwrap();
            let auth: Value = proto::recv(&mut conn).unwrap().unwrap();
            tell.send(auth["proof"].as_str().unwrap().to_owned())
                .unwrap();
            let here = Reply {
                cwd: Some("/".into()),
                ..Reply::ok()
            };
            proto::send(&mut conn, &here).unwrap();
            let _pwd: Option<Value> = proto::recv(&mut conn).unwrap();
            if call > 0 {
                proto::send(&mut conn, &here).unwrap();
                let _quit: Option<Value> = proto::recv(&mut conn).unwrap();
                proto::send(&mut conn, &Reply::ok()).unwrap();
            }
        }
    });
    let site = Site::new(&[]);
    std::fs::create_dir_all(site.local("alice")).unwrap();
    let done = site.client(addr, "alice", "pwd\n");
    assert!(done.success, "{done:?}");
    assert_eq!(
        done.stdout,
        [
            "logged in as alice, in /",
            "the server hung up; logged in again as alice, in /",
            "/"
        ]
    );
    // Both logins proved the same key: the one derived from the password the first time.
    let salted = auth::salted_password(&password("alice"), &[0; 16], Kdf { m: 8, t: 1, p: 1 });
    let key = auth::client_key(&salted.unwrap());
    let expected = hex::encode(auth::proof(&key, "alice", &[0x11; 32]));
    assert_eq!(
        proofs.try_iter().collect::<Vec<_>>(),
        [expected.clone(), expected]
    );
}

/// The administrator changes the password or removes the user: the server ends the open
/// session and says why, and the client says so and stops rather than call again.
#[test]
fn a_session_the_server_ends_on_purpose_is_a_clear_error() {
    for (admin, why) in [
        (
            &["passwd", "alice"][..],
            "your password was changed: log in again",
        ),
        (&["userdel", "alice"][..], "your account was removed"),
    ] {
        let site = Site::new(&[("alice", "1M")]);
        let (_server, addr) = site.start(&[]);
        let (proxy, hung_up) = tell_hang_ups(addr);
        let mut client = site.session(proxy, "alice");
        site.admin(admin, "a-new-password");
        hung_up.recv_timeout(testkit::PATIENCE).unwrap();
        client.write("pwd\n");
        assert!(!client.wait().success());
        assert_eq!(
            client.stderr().trim(),
            format!("Error: connection lost: the server ended the session: {why}")
        );
    }
}

#[test]
fn limit_rate_keeps_put_and_get_to_the_rate() {
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    let size = 1536 * 1024;
    site.file("alice", "data.bin", size);
    let rate = 1024 * 1024; // --limit-rate 1M
    let mut command = site.client_command(addr, "alice", &password("alice"));
    command.args(["--limit-rate", "1M"]);
    let mut client = testkit::Program::spawn(command);
    client.line();

    // At least size / rate: that is the promise. The upper bound is loose (a busy machine),
    // yet far below what a rate read in the wrong unit (bits, KiB) would take.
    let least = Duration::from_secs_f64(size as f64 / rate as f64);
    let most = least * 3 + Duration::from_secs(2);
    for (command, done) in [
        ("put data.bin", "put data.bin -> data.bin: 1572864 bytes"),
        (
            "get data.bin copy.bin",
            "get data.bin -> copy.bin: 1572864 bytes",
        ),
    ] {
        let start = Instant::now();
        client.write(&format!("{command}\n"));
        let line = client.line();
        let took = start.elapsed();
        assert!(line.starts_with(done), "{line}");
        assert!(
            took >= least,
            "{command} took {took:?}, less than {least:?}"
        );
        assert!(took <= most, "{command} took {took:?}, more than {most:?}");
    }

    let zero = testkit::run(&CLIENT, &["--limit-rate", "0", "--user", "alice"], "");
    assert!(!zero.success);
    assert!(
        zero.stderr.contains("a rate must be more than 0"),
        "{}",
        zero.stderr
    );
}

#[test]
fn a_typo_in_the_password_is_asked_again_up_to_three_times() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let line = client_line(addr, &["--user", "alice", "pwd"]);

    let mut term = Terminal::run(&line, &site, None);
    term.expect("password: ");
    term.type_keys("not-it\r");
    term.expect("wrong user name or password, try again");
    term.expect("password: ");
    term.type_keys(&format!("{}\r", password("alice")));
    term.expect("logged in as alice, in /");
    term.wait();

    let mut term = Terminal::run(&line, &site, None);
    for _ in 0..2 {
        term.expect("password: ");
        term.type_keys("not-it\r");
        term.expect("try again");
    }
    term.expect("password: ");
    term.type_keys("still-not-it\r");
    term.expect("Error: login failed: wrong user name or password");
    assert_eq!(term.all().matches("password: ").count(), 3);
    term.wait();

    // A password from the environment is not typed: one try, no question.
    let mut term = Terminal::run(&line, &site, Some("not-it"));
    term.expect("Error: login failed: wrong user name or password");
    assert!(!term.wait().contains("password: "));
    assert!(!term.all().contains("password: "));
}

#[test]
fn ctrl_c_at_the_password_prompt_leaves_the_terminal_as_it_was() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    // After the client, the same terminal says whether it still echoes what is typed.
    let line = format!(
        "{}; echo status $?; stty -a",
        client_line(addr, &["--user", "alice"])
    );
    let mut term = Terminal::run(&line, &site, None);
    term.expect("password: ");
    // Ctrl-C once the prompt has turned echo off (before that, the terminal itself would
    // interrupt the client, and there would be nothing to restore).
    testkit::wait_until("the prompt to turn echo off", || !term.echoes());
    term.type_keys("\x03");
    term.expect("status 130");
    let after = term.wait();
    assert!(
        after.split_whitespace().any(|flag| flag == "echo"),
        "the terminal no longer echoes: {after}"
    );
    assert!(
        after.split_whitespace().any(|flag| flag == "icanon"),
        "{after}"
    );
}

#[test]
fn empty_folders_human_sizes_and_no_debris() {
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "data.bin", 3000);
    let done = site.client(
        addr,
        "alice",
        "mkdir empty\nls empty\ncd empty\nls\nget nothing.txt\nput data.bin\nquota\nquota --bytes\n",
    );
    let out = &done.stdout;
    assert_eq!(
        out[1..5],
        [
            "created empty",
            "empty is empty",
            "/empty",
            "/empty is empty"
        ]
    );
    // A refused get leaves no empty nothing.txt.part behind.
    assert!(out[5].starts_with("error: "), "{out:?}");
    assert!(!site.local("alice").join("nothing.txt.part").exists());
    // quota: sizes for people, and exact bytes with --bytes, for scripts.
    let used: u64 = out[8]
        .strip_prefix("using ")
        .and_then(|rest| rest.strip_suffix(" of 102400 bytes"))
        .unwrap_or_else(|| panic!("{}", out[8]))
        .parse()
        .unwrap();
    assert!(used >= 3000);
    assert_eq!(out[7], format!("using {} of 100.00 KiB", HumanBytes(used)));

    // The progress bar of a get is labelled with the local name.
    let mut command = site.client_command(addr, "alice", &password("alice"));
    command.args(["--progress", "always", "get", "empty/data.bin", "copy.bin"]);
    let got = testkit::run_command(command, "");
    assert!(got.success, "{got:?}");
    let last = got.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("copy.bin ["), "{last}");
}

/// The shell line that runs the client with `args` against `addr`.
fn client_line(addr: SocketAddr, args: &[&str]) -> String {
    let client = CLIENT.path().to_string_lossy().into_owned();
    let addr = addr.to_string();
    let words = [client.as_str(), "--addr", &addr]
        .into_iter()
        .chain(args.iter().copied());
    shlex::try_join(words).unwrap()
}

/// A proxy to `target` that passes everything both ways, for any number of calls, and says
/// on the receiver each time the server hung up on one (after passing the hang-up on).
fn tell_hang_ups(target: SocketAddr) -> (SocketAddr, Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tell, hung_up) = mpsc::channel();
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let server = TcpStream::connect(target).unwrap();
            let (to_server, from_client) =
                (server.try_clone().unwrap(), client.try_clone().unwrap());
            thread::spawn(move || pass(from_client, to_server));
            let tell = tell.clone();
            thread::spawn(move || {
                pass(server, client);
                let _ = tell.send(());
            });
        }
    });
    (addr, hung_up)
}

/// Copies `from` to `to` until `from` ends, then passes the end on.
fn pass(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A shell line run on a terminal of its own, as in a terminal window: what it prints, and
/// keys typed at it. `script` gives it the terminal.
struct Terminal {
    child: Child,
    keyboard: Option<ChildStdin>,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Fires when the terminal's output has ended.
    ended: Receiver<()>,
    /// How much of the screen `expect` has gone past.
    seen: usize,
}

impl Terminal {
    /// Runs `line` in alice's folder; with `password`, in SOCKET_LESSONS_PASSWORD.
    fn run(line: &str, site: &Site, password: Option<&str>) -> Terminal {
        let mut command = Command::new("script");
        command
            .args([
                "--quiet",
                "--flush",
                "--return",
                "--command",
                line,
                "/dev/null",
            ])
            .current_dir(site.local("alice"))
            .env("SHELL", "/bin/sh")
            .env_remove("SOCKET_LESSONS_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(password) = password {
            command.env("SOCKET_LESSONS_PASSWORD", password);
        }
        let mut child = command
            .spawn()
            .expect("util-linux's script runs a terminal");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut output = child.stdout.take().unwrap();
        let sink = Arc::clone(&screen);
        let (end, ended) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = output.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            let _ = end.send(());
        });
        Terminal {
            keyboard: child.stdin.take(),
            child,
            screen,
            ended,
            seen: 0,
        }
    }

    /// Everything the terminal showed so far.
    fn all(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until `text` shows, after what earlier calls found.
    fn expect(&mut self, text: &str) {
        let mut found = None;
        let deadline = Instant::now() + testkit::PATIENCE;
        while found.is_none() && Instant::now() < deadline {
            let screen = self.screen.lock().unwrap();
            let unseen = String::from_utf8_lossy(&screen[self.seen..]).into_owned();
            found = unseen.find(text).map(|at| self.seen + at + text.len());
            drop(screen);
            thread::sleep(Duration::from_millis(10));
        }
        match found {
            Some(end) => self.seen = end,
            None => panic!("{text:?} never showed; the terminal shows:\n{}", self.all()),
        }
    }

    fn type_keys(&mut self, keys: &str) {
        let keyboard = self.keyboard.as_mut().unwrap();
        keyboard.write_all(keys.as_bytes()).unwrap();
        keyboard.flush().unwrap();
    }

    /// Whether the terminal echoes what is typed, as `stty` sees it from outside.
    fn echoes(&self) -> bool {
        // script's child (the shell) has the terminal as its stdin.
        let script = self.child.id();
        let children = format!("/proc/{script}/task/{script}/children");
        let shell = std::fs::read_to_string(children).unwrap_or_default();
        let Some(shell) = shell.split_whitespace().next() else {
            return true;
        };
        let Ok(tty) = std::fs::read_link(format!("/proc/{shell}/fd/0")) else {
            return true;
        };
        let stty = Command::new("stty")
            .arg("-a")
            .arg("-F")
            .arg(&tty)
            .output()
            .unwrap();
        let flags = String::from_utf8_lossy(&stty.stdout).into_owned();
        flags.split_whitespace().any(|flag| flag == "echo")
    }

    /// Waits for the line to end; returns what it showed after the last `expect`.
    fn wait(&mut self) -> String {
        if self.ended.recv_timeout(testkit::PATIENCE).is_err() {
            panic!("still running:\n{}", self.all());
        }
        let _ = self.child.wait();
        String::from_utf8_lossy(&self.screen.lock().unwrap()[self.seen..]).into_owned()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
