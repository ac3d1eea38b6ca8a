//! What a student should see in 八's simple example: no connection, so either side may start
//! first and several clients share one server socket; every datagram, even an empty one, is
//! a message with its sender's address on it.

mod common;

use std::time::Duration;

use common::{ask, free_addr, udp};
use testkit::{Bin, Program, QUIET, peer, python, run};

static SERVER: Bin = testkit::bin!("echo-server");
static CLIENT: Bin = testkit::bin!("echo-client");

#[test]
fn each_datagram_comes_back_upper_cased_to_its_sender() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(
        &CLIENT,
        &["--addr", &addr.to_string()],
        "hello\n你好 udp\nquit\nnever sent\n",
    );
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            "sendto b'hello'".to_owned(),
            format!("recvfrom b'HELLO' from {addr}"),
            "sendto b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd udp'".to_owned(),
            format!("recvfrom b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd UDP' from {addr}"),
        ]
    );
    let first = server.line();
    assert!(
        first.starts_with("recvfrom b'hello' from 127.0.0.1:"),
        "{first}"
    );
    let client_addr = first.rsplit(' ').next().unwrap();
    assert_eq!(
        server.line(),
        format!("recvfrom b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd udp' from {client_addr}")
    );
}

#[test]
fn an_empty_line_is_an_empty_datagram_and_gets_an_answer() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "\n  \nafter\n");
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            "sendto b''".to_owned(),
            format!("recvfrom b'' from {addr}"),
            "sendto b''".to_owned(),
            format!("recvfrom b'' from {addr}"),
            "sendto b'after'".to_owned(),
            format!("recvfrom b'AFTER' from {addr}"),
        ]
    );
    assert!(server.line().starts_with("recvfrom b'' from "));
    assert!(server.line().starts_with("recvfrom b'' from "));
    assert!(server.line().starts_with("recvfrom b'after' from "));

    // By hand, too: a zero-length datagram arrives as a message of its own.
    let socket = udp();
    assert_eq!(ask(&socket, addr, b""), (Vec::new(), addr));
}

#[test]
fn the_client_may_start_before_the_server() {
    // A TCP client started first fails at connect (ch07: Connection refused). This one has
    // nothing to connect: it starts, waits for input, and the server comes later.
    let addr = free_addr();
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    let (_server, same) = Program::server_on(&SERVER, &addr.to_string(), &[]);
    assert_eq!(same, addr);
    assert!(!client.has_exited(), "{}", client.stderr());

    client.write("late\n");
    assert_eq!(client.line(), "sendto b'late'");
    assert_eq!(client.line(), format!("recvfrom b'LATE' from {addr}"));
}

#[test]
fn a_datagram_sent_to_nobody_is_lost_without_an_error() {
    let addr = free_addr();
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    client.write("anyone there?\n");
    // sendto succeeds: UDP does not know or care whether anybody listens...
    assert_eq!(client.line(), "sendto b'anyone there?'");

    // ...and a server started afterwards never sees the datagram: it was dropped.
    let (mut server, _) = Program::server_on(&SERVER, &addr.to_string(), &[]);
    assert_eq!(server.line_within(QUIET), None);
    // The client, watched just as long, still waits for its answer in recvfrom, as the
    // article's would, for ever. (The time client in time.rs is told; see why there.)
    assert_eq!(client.line_within(Duration::ZERO), None);
    assert!(!client.has_exited());
}

#[test]
fn several_clients_at_once_share_the_one_server_socket() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut clients: Vec<Program> = (0..3)
        .map(|_| Program::start(&CLIENT, &["--addr", &addr.to_string()]))
        .collect();
    let mut senders = Vec::new();
    // All three stay open and take turns; with ch07's TCP server the second would wait in the
    // listen queue until the first hung up.
    for round in 1..=2 {
        for (i, client) in clients.iter_mut().enumerate() {
            let msg = format!("client {i} round {round}");
            client.write(&format!("{msg}\n"));
            assert_eq!(client.line(), format!("sendto b'{msg}'"));
            let upper = msg.to_uppercase();
            assert_eq!(client.line(), format!("recvfrom b'{upper}' from {addr}"));
            let seen = server.line();
            let (said, from) = seen.split_once(" from ").unwrap();
            assert_eq!(said, format!("recvfrom b'{msg}'"));
            senders.push(from.to_owned());
        }
    }
    // Three different senders, each the same in both rounds.
    assert_eq!(senders[..3], senders[3..]);
    senders.sort();
    senders.dedup();
    assert_eq!(senders.len(), 3, "{senders:?}");
}

#[test]
fn a_datagram_longer_than_1024_bytes_is_cut() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let socket = udp();
    let (answer, _) = ask(&socket, addr, &[b'a'; 1500]);
    // recvfrom(1024) took the first 1024 bytes; the other 476 are gone (chapter 九).
    assert_eq!(answer, [b'A'; 1024]);
    assert!(server.line().starts_with("recvfrom b'aaaa"));
    assert_eq!(ask(&socket, addr, b"next").0, b"NEXT");
}

#[test]
fn the_server_binds_its_port_again_at_once_and_refuses_a_taken_one() {
    let (mut server, addr) = Program::server(&SERVER, &[]);

    // A second server on the same port: one clear line.
    let taken = run(&SERVER, &["--addr", &addr.to_string()], "");
    assert!(!taken.success);
    let expected = format!("Error: could not bind {addr}: Address already in use");
    assert!(taken.stderr.starts_with(&expected), "{}", taken.stderr);
    assert_eq!(taken.stderr.lines().count(), 1);

    // Stopped mid-conversation and restarted: no connection, so no TIME_WAIT and no
    // SO_REUSEADDR needed (compare ch07).
    assert_eq!(ask(&udp(), addr, b"hi").0, b"HI");
    server.kill();
    let (_again, same) = Program::server_on(&SERVER, &addr.to_string(), &[]);
    assert_eq!(same, addr);
    assert_eq!(ask(&udp(), addr, b"again").0, b"AGAIN");
}

#[test]
fn the_articles_python_client_talks_to_this_server() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "echo_client"),
        &[&addr.to_string()],
    );
    client.write("hello\n\n你好\n");
    client.close_stdin();
    assert_eq!(client.line(), "b'HELLO'");
    assert_eq!(client.line(), "b''");
    assert_eq!(client.line(), "b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd'");
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(
        server
            .line()
            .starts_with("recvfrom b'hello' from 127.0.0.1:")
    );
    assert!(server.line().starts_with("recvfrom b'' from 127.0.0.1:"));
}

#[test]
fn this_client_talks_to_the_articles_python_server() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "echo_server"), &["0"]);
    let addr = server.address();
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "hello\n\nquit\n");
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            "sendto b'hello'".to_owned(),
            format!("recvfrom b'HELLO' from {addr}"),
            "sendto b''".to_owned(),
            format!("recvfrom b'' from {addr}"),
        ]
    );
    assert!(server.line().starts_with("b'hello' ('127.0.0.1', "));
    assert!(server.line().starts_with("b'' ('127.0.0.1', "));
}

#[test]
fn mistakes_get_one_clear_line() {
    let bad = run(&CLIENT, &["--addr", "nowhere"], "");
    assert!(!bad.success);
    assert!(
        bad.stderr
            .contains("invalid value 'nowhere' for '--addr <ADDR>'")
    );
    assert!(bad.stderr.contains("expected HOST:PORT"), "{}", bad.stderr);
}
