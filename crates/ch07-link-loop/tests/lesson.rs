//! What a student should see in 七: the server takes call after call, survives callers who
//! hang up or vanish, restarts on its port at once, and talks to the article's Python programs.

use std::io::{Read, Write};

use testkit::{Bin, Program, connect, peer, python, reset, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

#[test]
fn several_callers_one_after_another_are_all_served() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    for name in ["alice", "bob", "carol"] {
        let client = run(
            &CLIENT,
            &["--addr", &addr.to_string()],
            &format!("{name}\n"),
        );
        assert!(client.success, "{}", client.stderr);
        let upper = name.to_uppercase();
        assert_eq!(
            client.stdout,
            [format!("send b'{name}'"), format!("recv b'{upper}'")]
        );
        assert!(server.line().starts_with("call from "));
        assert_eq!(server.line(), format!("recv b'{name}'"));
        // The 0-byte recv ends the call instead of spinning.
        assert_eq!(server.line(), "recv b''");
        assert!(server.line().ends_with(" ended"));
    }
}

#[test]
fn empty_lines_are_skipped_and_quit_hangs_up() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let client = run(
        &CLIENT,
        &["--addr", &addr.to_string()],
        "hello\n\n   \nworld\nquit\nnever sent\n",
    );
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            "send b'hello'",
            "recv b'HELLO'",
            "send b'world'",
            "recv b'WORLD'"
        ]
    );
}

#[test]
fn a_caller_who_vanishes_does_not_disturb_the_next() {
    let (mut server, addr) = Program::server(&SERVER, &[]);

    // A client process killed mid-call, while the server still owes it nothing.
    let mut killed = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    killed.write("first\n");
    assert_eq!(killed.line(), "send b'first'");
    assert_eq!(killed.line(), "recv b'FIRST'");
    killed.kill();

    // A raw connection that resets the line: closing with unread data sends RST.
    let mut rude = connect(addr);
    rude.write_all(b"rude").unwrap();
    let mut answer = [0u8; 4];
    rude.read_exact(&mut answer).unwrap();
    rude.write_all(b"unanswered").unwrap();
    reset(rude);

    let next = run(&CLIENT, &["--addr", &addr.to_string()], "next\n");
    assert!(next.success, "{}", next.stderr);
    assert_eq!(next.stdout[1], "recv b'NEXT'");
    server.line_containing("recv b'next'");
}

#[test]
fn the_server_restarts_on_its_port_right_after_a_call() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut caller = connect(addr);
    caller.write_all(b"hi").unwrap();
    server.line_containing("recv b'hi'");

    // The same sequence that leaves ch06's port in use: the server goes down first...
    server.kill();
    let mut rest = Vec::new();
    caller.read_to_end(&mut rest).unwrap();
    drop(caller);

    // ...yet with SO_REUSEADDR it binds the same port again at once.
    let (_again, same) = Program::server_on(&SERVER, &addr.to_string(), &[]);
    assert_eq!(same, addr);
}

#[test]
fn the_articles_python_client_talks_to_this_server() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "client"),
        &[&addr.to_string()],
    );
    client.write("hello\n\n你好 socket\n");
    client.close_stdin();
    assert_eq!(client.line(), "HELLO");
    assert_eq!(client.line(), "你好 SOCKET");
    assert!(client.wait().success(), "{}", client.stderr());
    server.line_containing("recv b'hello'");
    assert_eq!(
        server.line(),
        "recv b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd socket'"
    );
}

#[test]
fn this_client_talks_to_the_articles_python_server() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "server"), &["0"]);
    let addr = server.address();
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "hello\nquit\n");
    assert!(client.success, "{}", client.stderr);
    assert_eq!(client.stdout, ["send b'hello'", "recv b'HELLO'"]);
    server.line_containing("call from 127.0.0.1");
    assert_eq!(server.line(), "b'hello'");
}

#[test]
fn mistakes_get_one_clear_line() {
    let (_server, addr) = Program::server(&SERVER, &[]);

    // The port is taken (by the server above: a listening socket, which SO_REUSEADDR respects).
    let taken = run(&SERVER, &["--addr", &addr.to_string()], "");
    assert!(!taken.success);
    let expected = format!("Error: could not bind {addr}: Address already in use");
    assert!(taken.stderr.starts_with(&expected), "{}", taken.stderr);
    assert_eq!(taken.stderr.lines().count(), 1);

    // Nobody listens here: the server above is on `addr`, so pick a port that was just free.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = run(&CLIENT, &["--addr", &free.to_string()], "hello\n");
    assert!(!refused.success);
    let expected = format!("Error: could not connect to {free}: Connection refused");
    assert!(refused.stderr.starts_with(&expected), "{}", refused.stderr);
    assert_eq!(refused.stderr.lines().count(), 1);

    // Not an address at all: clap explains, and the program does not start.
    let bad = run(&CLIENT, &["--addr", "nowhere"], "");
    assert!(!bad.success);
    assert!(
        bad.stderr
            .contains("invalid value 'nowhere' for '--addr <ADDR>'")
    );
    assert!(bad.stderr.contains("expected HOST:PORT"), "{}", bad.stderr);
}
