//! What a student should see in 六: the call works, and each of its three flaws shows.

use std::io::{Read, Write};
use std::net::TcpStream;

use testkit::{Bin, Program, QUIET, connect, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

#[test]
fn the_server_answers_in_upper_case() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "hello\nworld\n");

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
    assert!(server.line().starts_with("call from 127.0.0.1:"));
    assert_eq!(server.line(), "recv b'hello'");
    assert_eq!(server.line(), "recv b'world'");
}

#[test]
fn an_empty_line_leaves_the_client_waiting_in_recv() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);

    client.write("hello\n");
    assert_eq!(client.line(), "send b'hello'");
    assert_eq!(client.line(), "recv b'HELLO'");

    // The empty line is "sent" (zero bytes leave the machine)...
    client.write("\n");
    assert_eq!(client.line(), "send b''");
    // ...and the client is now stuck in recv: no answer comes, however long we watch.
    assert_eq!(client.line_within(QUIET), None);
    assert!(!client.has_exited());
    // The server never heard a thing after "hello".
    server.line_containing("recv b'hello'");
    assert_eq!(server.line_within(QUIET), None);
}

#[test]
fn a_caller_who_hangs_up_makes_recv_return_zero_bytes() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "bye\n");
    assert!(client.success, "{}", client.stderr);

    server.line_containing("recv b'bye'");
    // The client is gone: every recv now returns b'' at once. The article's server spins here
    // forever; ours stops after five rounds, so this test is bounded.
    for _ in 0..5 {
        assert_eq!(server.line(), "recv b''");
    }
    assert!(server.line().contains("5 times in a row"));
    let ended = server.line();
    assert!(
        ended.starts_with("call from 127.0.0.1:") && ended.ends_with(" ended"),
        "{ended}"
    );
    assert!(server.wait().success());
}

#[test]
fn a_second_caller_cannot_get_through() {
    let (mut server, addr) = Program::server(&SERVER, &[]);

    // The first caller is talking.
    let mut first = connect(addr);
    first.write_all(b"first").unwrap();
    let mut answer = [0u8; 16];
    let n = first.read(&mut answer).unwrap();
    assert_eq!(&answer[..n], b"FIRST");

    // The second caller's connect succeeds (the kernel queues it: listen(5)), but nobody
    // accepts it, so its words go unanswered.
    let mut second = connect(addr);
    second.write_all(b"second").unwrap();
    second.set_read_timeout(Some(QUIET)).unwrap();
    let waited = second.read(&mut answer);
    assert!(
        waited.is_err(),
        "the second caller got an answer: {waited:?}"
    );

    // When the first caller hangs up, the server gives up and exits: it only ever took one call.
    drop(first);
    assert!(server.wait().success());
    assert!(!server.rest().iter().any(|line| line.contains("second")));

    // The queued call is dropped with the server, and nobody answers the number any more.
    second.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    assert!(matches!(second.read(&mut answer), Ok(0) | Err(_)));
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn restarting_right_after_a_call_finds_the_address_in_use() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut caller = connect(addr);
    caller.write_all(b"hi").unwrap();
    server.line_containing("recv b'hi'");

    // The server goes down in the middle of a call: it closes first, so its side of the
    // connection now waits in TIME_WAIT (or FIN_WAIT2) and still holds the port.
    server.kill();
    let mut rest = Vec::new();
    caller.read_to_end(&mut rest).unwrap(); // b"HI", then end of stream: the server hung up
    assert_eq!(rest, b"HI");
    drop(caller);

    let again = run(&SERVER, &["--addr", &addr.to_string()], "");
    assert!(!again.success);
    assert!(
        again.stderr.contains("Address already in use"),
        "{}",
        again.stderr
    );
}
