//! What a student should see in 十三: a client with the key is served; the article's two
//! illegal clients (no handshake, wrong key) are cut off and the next caller is served; the
//! challenge is never the same twice; a caller who answers too slowly, in part, or byte by
//! byte is cut off in time; one silent caller still blocks everyone (the flaw ch14 fixes); and
//! the article's Python programs talk to ours.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::process::Command;
use std::time::Duration;

use ch13_hmac_auth::{ANSWER_LEN, CHALLENGE_LEN, KEY_ENV, answer};
use hex::encode as hex;
use support::py_bytes;
use testkit::{Bin, Finished, Program, QUIET, connect, peer, python, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

/// The article's key.
const KEY: &str = "linhaifeng bang bang bang";

/// Starts the server with the article's key and `args`.
fn server(args: &[&str]) -> (Program, SocketAddr) {
    Program::server(&SERVER, &[&["--key", KEY], args].concat())
}

/// Runs the client against `addr` with `args` and `input`.
fn client(addr: SocketAddr, args: &[&str], input: &str) -> Finished {
    run(
        &CLIENT,
        &[&["--addr", &addr.to_string()], args].concat(),
        input,
    )
}

/// The challenge in a `send challenge HEX` or `recv challenge HEX` line.
fn challenge_in(line: &str) -> Vec<u8> {
    let hex = line
        .rsplit_once("challenge ")
        .unwrap_or_else(|| panic!("not a challenge line: {line:?}"))
        .1;
    assert_eq!(hex.len(), 2 * CHALLENGE_LEN, "{line:?}");
    hex::decode(hex).unwrap()
}

/// Reads the server's lines for a new call: `call from ...`, then the challenge it sent.
fn new_call(server: &mut Program) -> Vec<u8> {
    assert!(server.line().starts_with("call from "));
    challenge_in(&server.line())
}

/// Asserts that a program failed, saying so in one line that starts with `start`.
fn assert_fails_with(finished: &Finished, start: &str) {
    assert!(!finished.success, "{finished:?}");
    assert!(finished.stderr.starts_with(start), "{}", finished.stderr);
    assert_eq!(finished.stderr.lines().count(), 1, "{}", finished.stderr);
}

/// What the server prints when a call ends, whatever the verdict.
fn assert_call_ended(server: &mut Program) {
    let line = server.line();
    assert!(
        line.starts_with("call from ") && line.ends_with(" ended"),
        "{line}"
    );
}

#[test]
fn a_client_with_the_key_from_the_environment_is_served() {
    // Both ends take the key from SOCKET_LESSONS_KEY, so it is never typed on a command line.
    let mut command = Command::new(&SERVER);
    command.args(["--addr", "127.0.0.1:0"]).env(KEY_ENV, KEY);
    let (mut server, addr) = Program::spawn_server(command);
    let mut command = Command::new(&CLIENT);
    command
        .args(["--addr", &addr.to_string()])
        .env(KEY_ENV, KEY);
    let mut client = Program::spawn(command);
    client.write("hello\n\nworld\nquit\nnever sent\n");
    assert!(client.wait().success(), "{}", client.stderr());

    let challenge = new_call(&mut server);
    let right = hex(answer(KEY.as_bytes(), &challenge));
    assert_eq!(
        client.rest(),
        [
            format!("recv challenge {}", hex(&challenge)),
            format!("send answer {right}"),
            "send b'hello'".into(),
            "recv b'HELLO'".into(),
            "send b'world'".into(),
            "recv b'WORLD'".into(),
        ]
    );
    assert_eq!(server.line(), format!("answer {right}: right, serving"));
    assert_eq!(server.line(), "recv b'hello'");
    assert_eq!(server.line(), "recv b'world'");
    assert_eq!(server.line(), "recv b''");
    assert_call_ended(&mut server);
}

#[test]
fn a_wrong_key_is_cut_off_and_the_next_caller_is_served() {
    let (mut server, addr) = server(&[]);

    // Its first message gets no reply: the server has hung up (it may even reset the line).
    let wrong = client(
        addr,
        &["--key", "linhaifeng bang bang bang1111"],
        "hello\nnever sent\n",
    );
    assert!(wrong.success, "{}", wrong.stderr);
    assert_eq!(
        wrong.stdout[2..],
        [
            "send b'hello'",
            "recv b''",
            "the server hung up: wrong key?"
        ]
    );
    let challenge = new_call(&mut server);
    let theirs = answer(b"linhaifeng bang bang bang1111", &challenge);
    assert_eq!(
        server.line(),
        format!("answer {}: wrong, hanging up", hex(theirs))
    );
    assert_call_ended(&mut server);

    let right = client(addr, &["--key", KEY], "hello\n");
    assert!(right.success, "{}", right.stderr);
    assert_eq!(right.stdout[2..], ["send b'hello'", "recv b'HELLO'"]);
    new_call(&mut server);
    assert!(server.line().ends_with(": right, serving"));
}

#[test]
fn a_client_that_skips_the_handshake_is_cut_off_when_its_time_is_up() {
    let (mut server, addr) = server(&["--auth-timeout", "0.5"]);

    // It needs no key. Its first "reply" is the challenge it never read; then the server,
    // still waiting for 32 bytes of answer, gives up and hangs up.
    let skipper = client(addr, &["--skip-auth"], "hello\nhello again\nnever sent\n");
    assert!(skipper.success, "{}", skipper.stderr);
    let challenge = new_call(&mut server);
    assert_eq!(
        skipper.stdout,
        [
            "send b'hello'".into(),
            format!("recv {}", py_bytes(&challenge)),
            "send b'hello again'".into(),
            "recv b''".into(),
            "the server hung up: we never answered its challenge".into(),
        ]
    );
    let verdict = server.line();
    assert!(verdict.starts_with("answer b'hello"), "{verdict}");
    assert!(
        verdict.ends_with(" of 32 bytes): timed out after 500ms, hanging up"),
        "{verdict}"
    );
    assert_call_ended(&mut server);

    let right = client(addr, &["--key", KEY], "hello\n");
    assert!(right.success, "{}", right.stderr);
    assert_eq!(right.stdout[3], "recv b'HELLO'");
}

#[test]
fn an_answer_in_pieces_is_read_to_the_end_and_a_short_one_refused() {
    let (mut server, addr) = server(&[]);

    // The article's recv(len(digest)) would take the first piece as the whole answer.
    let mut caller = connect(addr);
    let mut challenge = [0u8; CHALLENGE_LEN];
    caller.read_exact(&mut challenge).unwrap();
    let right = answer(KEY.as_bytes(), &challenge);
    caller.write_all(&right[..10]).unwrap();
    new_call(&mut server);
    assert_eq!(server.line_within(QUIET), None, "it waits for the rest");
    caller.write_all(&right[10..]).unwrap();
    assert_eq!(
        server.line(),
        format!("answer {}: right, serving", hex(right))
    );
    caller.write_all(b"ok").unwrap();
    let mut reply = [0u8; 2];
    caller.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"OK");
    drop(caller);
    server.line_containing(" ended");

    // A caller who sends 5 bytes and hangs up gets no verdict on a 5-byte answer.
    let mut caller = connect(addr);
    caller.read_exact(&mut challenge).unwrap();
    caller.write_all(b"hello").unwrap();
    caller.shutdown(Shutdown::Write).unwrap();
    new_call(&mut server);
    assert_eq!(
        server.line(),
        "answer b'hello' (5 of 32 bytes): too short, the caller hung up"
    );
    assert_call_ended(&mut server);
}

#[test]
fn the_time_limit_is_for_the_whole_answer_not_for_each_byte() {
    let (mut server, addr) = server(&["--auth-timeout", "0.5"]);
    let mut caller = connect(addr);
    let mut challenge = [0u8; CHALLENGE_LEN];
    caller.read_exact(&mut challenge).unwrap();
    new_call(&mut server);

    // The right answer, one byte every 100 ms: each recv gets a byte well within 0.5 s, but
    // the whole answer would take 3.2 s.
    let right = answer(KEY.as_bytes(), &challenge);
    let mut verdict = None;
    for byte in right {
        if caller.write_all(&[byte]).is_err() {
            break;
        }
        verdict = server.line_within(Duration::from_millis(100));
        if verdict.is_some() {
            break;
        }
    }
    let verdict = verdict.unwrap_or_else(|| server.line());
    let sent: usize = verdict
        .split_once(" (")
        .and_then(|(_, rest)| rest.split_once(" of 32 bytes): timed out after 500ms"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("not a time-out: {verdict}"));
    assert!(sent < ANSWER_LEN, "{verdict}");
}

#[test]
fn the_challenge_is_never_the_same_twice() {
    let (mut server, addr) = server(&[]);
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let mut caller = connect(addr);
        let mut challenge = [0u8; CHALLENGE_LEN];
        caller.read_exact(&mut challenge).unwrap();
        drop(caller);
        assert_eq!(new_call(&mut server), challenge);
        assert!(server.line().ends_with("too short, the caller hung up"));
        assert_call_ended(&mut server);
        assert!(seen.insert(challenge), "{} came twice", hex(challenge));
    }
    // Random bytes, not a counter or a clock: no two challenges share even their first 4 bytes.
    let prefixes: HashSet<_> = seen.iter().map(|c| c[..4].to_vec()).collect();
    assert_eq!(prefixes.len(), seen.len());
}

#[test]
fn one_silent_client_still_blocks_everyone() {
    let (mut server, addr) = server(&[]);
    let addr = addr.to_string();

    // The first client passes the challenge, is served once, then sits there (stdin open).
    let mut first = Program::start(&CLIENT, &["--addr", &addr, "--key", KEY]);
    first.write("hello\n");
    first.line_containing("recv b'HELLO'");
    server.line_containing("recv b'hello'");

    // The second one connects (the listen queue takes it) but gets no challenge at all.
    let mut second = Program::start(&CLIENT, &["--addr", &addr, "--key", KEY]);
    second.write("me too\n");
    assert_eq!(second.line_within(QUIET), None);
    assert_eq!(server.line_within(Duration::ZERO), None);

    // When the first one hangs up, the second one's turn comes.
    first.close_stdin();
    assert!(first.wait().success(), "{}", first.stderr());
    assert_eq!(server.line(), "recv b''");
    assert_call_ended(&mut server);
    let challenge = new_call(&mut server);
    assert_eq!(second.line(), format!("recv challenge {}", hex(&challenge)));
    second.line_containing("recv b'ME TOO'");
}

#[test]
fn the_articles_python_client_is_served_and_with_a_wrong_key_cut_off() {
    let (mut server, addr) = server(&[]);
    let script = peer(env!("CARGO_MANIFEST_DIR"), "client");

    let mut client = python(&script, &[&addr.to_string(), KEY]);
    client.write("hello\n\n你好 socket\nquit\n");
    assert_eq!(client.line(), "HELLO");
    assert_eq!(client.line(), "你好 SOCKET");
    assert!(client.wait().success(), "{}", client.stderr());
    new_call(&mut server);
    assert!(server.line().ends_with(": right, serving"));
    assert_eq!(server.line(), "recv b'hello'");
    server.line_containing(" ended");

    // The article's second illegal client: the same program with another key. Python's
    // HMAC-SHA256 of the challenge under that key is exactly the answer we compute.
    let wrong_key = "linhaifeng bang bang bang1111";
    let mut wrong = python(&script, &[&addr.to_string(), wrong_key]);
    wrong.write("hello\nworld\n");
    let challenge = new_call(&mut server);
    let theirs = answer(wrong_key.as_bytes(), &challenge);
    assert_eq!(
        server.line(),
        format!("answer {}: wrong, hanging up", hex(theirs))
    );
    assert_call_ended(&mut server);
    // It prints an empty line for the b'' it got, then dies on a broken or reset line.
    wrong.wait();
    assert!(!wrong.rest().iter().any(|line| line.contains("HELLO")));
}

#[test]
fn this_client_is_served_by_the_articles_python_server_and_refused_with_a_wrong_key() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "server"), &["0", KEY]);
    let addr = server.address();

    let right = client(addr, &["--key", KEY], "hello\nquit\n");
    assert!(right.success, "{}", right.stderr);
    assert_eq!(right.stdout[2..], ["send b'hello'", "recv b'HELLO'"]);
    server.line_containing("链接合法,开始通信");
    assert_eq!(server.line(), "b'hello'");

    let wrong = client(addr, &["--key", "not the key"], "hello\n");
    assert!(wrong.success, "{}", wrong.stderr);
    assert_eq!(
        wrong.stdout.last().unwrap(),
        "the server hung up: wrong key?"
    );
    server.line_containing("该链接不合法,关闭");
}

#[test]
fn mistakes_get_one_clear_line() {
    // No key anywhere (nor an empty one): both ends say how to give it.
    for bin in [&SERVER, &CLIENT] {
        for empty in [None, Some("")] {
            let mut command = Command::new(bin);
            command.args(["--addr", "127.0.0.1:0"]).env_remove(KEY_ENV);
            if let Some(empty) = empty {
                command.env(KEY_ENV, empty);
            }
            let mut program = Program::spawn(command);
            assert!(!program.wait().success());
            assert_eq!(
                program.stderr(),
                "Error: no key: set SOCKET_LESSONS_KEY=... or give --key KEY \
                 (the same key on the server and the client)\n"
            );
        }
    }

    // --help names the variable but never shows the key in it.
    let mut command = Command::new(&SERVER);
    command.arg("--help").env(KEY_ENV, "very secret");
    let mut help = Program::spawn(command);
    assert!(help.wait().success());
    let help = help.rest().join("\n");
    assert!(help.contains("[env: SOCKET_LESSONS_KEY]"), "{help}");
    assert!(!help.contains("very secret"), "{help}");

    // --auth-timeout takes seconds, fractions allowed, as every timeout flag does.
    for bad in ["0", "-1", "soon"] {
        let bad = run(
            &SERVER,
            &["--key", KEY, &format!("--auth-timeout={bad}")],
            "",
        );
        assert!(!bad.success);
        assert!(
            bad.stderr.contains("invalid value") && bad.stderr.contains("--auth-timeout"),
            "{}",
            bad.stderr
        );
    }

    // The port is taken, and nobody listens: as in ch07.
    let (_server, addr) = server(&[]);
    let taken = run(&SERVER, &["--key", KEY, "--addr", &addr.to_string()], "");
    assert_fails_with(
        &taken,
        &format!("Error: could not bind {addr}: Address already in use"),
    );
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // (No input for clients that stop before reading any: writing it could race their exit.)
    let refused = client(free, &["--key", KEY], "");
    assert_fails_with(
        &refused,
        &format!("Error: could not connect to {free}: Connection refused"),
    );

    // A server that hangs up without a challenge (not a ch13 server, say).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = listener.local_addr().unwrap();
    let hang_up = std::thread::spawn(move || drop(listener.accept()));
    let no_challenge = client(other, &["--key", KEY], "");
    hang_up.join().unwrap();
    assert_fails_with(&no_challenge, "Error: the server sent no challenge: ");
}

#[test]
fn calls_that_break_end_only_themselves() {
    let (mut server, addr) = server(&[]);
    // A legal caller holds the server, so the next calls wait in the listen queue...
    let mut first = connect(addr);
    let mut challenge = [0u8; CHALLENGE_LEN];
    first.read_exact(&mut challenge).unwrap();
    first
        .write_all(&answer(KEY.as_bytes(), &challenge))
        .unwrap();
    new_call(&mut server);
    assert!(server.line().ends_with(": right, serving"));
    // ...where they break: one resets before it is picked up, one resets mid-answer.
    let queued = connect(addr);
    let mut mid_answer = connect(addr);
    mid_answer.write_all(b"half an answer").unwrap();
    testkit::reset(queued);
    testkit::reset(mid_answer);
    // The first one resets too, in the comm loop, after a message.
    first.write_all(b"bye").unwrap();
    let mut reply = [0u8; 3];
    first.read_exact(&mut reply).unwrap();
    testkit::reset(first);
    for _ in 0..3 {
        server.line_containing(" ended");
    }
    // The server still serves.
    let right = client(addr, &["--key", KEY], "hello\n");
    assert!(right.success, "{}", right.stderr);
    assert_eq!(right.stdout[2..], ["send b'hello'", "recv b'HELLO'"]);
}
