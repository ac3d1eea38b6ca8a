//! What a student should see in 九: over TCP, a long reply runs into the next one (粘包);
//! over UDP, replies never stick, but they fall behind and lose what does not fit.

use std::io::{Read, Write};
use std::net::UdpSocket;

use testkit::{Bin, Program, QUIET, connect, peer, python, run, seq, shell_reply};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");
static UDP_SERVER: Bin = testkit::bin!("udp-server");
static UDP_CLIENT: Bin = testkit::bin!("udp-client");

#[test]
fn a_long_reply_runs_into_the_next_one_over_tcp() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    let expected = seq(3000);

    client.write("seq 1 3000\n");
    let first = shell_reply(&mut client);
    assert_eq!(
        first,
        expected[..1024],
        "the first reply is cut at 1024 bytes"
    );

    // The reply to `echo hello` is not "hello": it is the next piece of seq's output.
    client.write("echo hello\n");
    let second = shell_reply(&mut client);
    assert!(!second.contains("hello"));
    assert_eq!(second, expected[1024..2048]);
}

#[test]
fn brief_replies_fit_a_screen_and_still_show_where_each_was_cut() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string(), "--brief"]);
    client.write("seq -s ' ' 1 600\n");
    assert_eq!(client.line(), "[1024 bytes]");
    assert_eq!(
        client.line(),
        "1 2 3 4 5 6 7 8 9 10 11 12 13 … 277 278 279 280 281 282 283 "
    );
    assert_eq!(client.line(), "(ends in the middle of a line)");
    // The reply to `echo hello` starts where seq's output was cut.
    client.write("echo hello\n");
    assert_eq!(client.line(), "[1024 bytes]");
    assert_eq!(
        client.line(),
        "284 285 286 287 288 289 290 … 533 534 535 536 537 538 539 "
    );
    assert_eq!(client.line(), "(ends in the middle of a line)");
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
}

#[test]
fn the_server_sends_stderr_then_stdout_with_nothing_between() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut conn = connect(addr);
    conn.write_all(b"echo out; echo err >&2").unwrap();
    server.line_containing("send 4 bytes (stderr), 4 bytes (stdout)");
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut everything = Vec::new();
    conn.read_to_end(&mut everything).unwrap();
    assert_eq!(everything, b"err\nout\n");
}

#[test]
fn the_articles_python_client_gets_the_same_bytes() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "tcp_client"),
        &[&addr.to_string()],
    );
    client.write("echo hello from python\nquit\n");
    assert_eq!(client.line(), "hello from python");
    assert!(client.wait().success(), "{}", client.stderr());
}

#[test]
fn this_client_sticks_against_the_articles_python_server_too() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "tcp_server"), &["0"]);
    let addr = server.address();
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    let expected = seq(3000);
    client.write("seq 1 3000\n");
    assert_eq!(shell_reply(&mut client), expected[..1024]);
    client.write("echo hello\n");
    assert_eq!(shell_reply(&mut client), expected[1024..2048]);
}

#[test]
fn udp_replies_fall_behind_one_datagram_per_command() {
    let (_server, addr) = Program::server(&UDP_SERVER, &[]);
    let mut client = Program::start(&UDP_CLIENT, &["--addr", &addr.to_string()]);

    // Each command gets two datagrams back (stderr, stdout); the client reads one.
    client.write("echo hello\n");
    assert_eq!(
        shell_reply(&mut client),
        "",
        "echo hello's stderr: an empty datagram"
    );
    client.write("echo world\n");
    assert_eq!(
        shell_reply(&mut client),
        "hello\n",
        "echo hello's stdout, one command late"
    );
    client.write("echo again\n");
    assert_eq!(shell_reply(&mut client), "", "echo world's stderr");
    client.write("echo more\n");
    assert_eq!(shell_reply(&mut client), "world\n");
}

#[test]
fn the_udp_client_binds_where_its_server_can_answer() {
    // The client binds as ch08's do (support::client_bind_addr): in the server's family and,
    // for a server on another machine, on every interface. A client bound to 127.0.0.1 could
    // reach neither a server on [::1] nor one on another machine.
    let (mut server, addr) = Program::server_on(&UDP_SERVER, "[::1]:0", &[]);
    let mut client = Program::start(&UDP_CLIENT, &["--addr", &addr.to_string(), "--brief"]);
    client.write("echo over ipv6\n");
    assert_eq!(client.line(), "[0 bytes]");
    let got = server.line_containing("recvfrom b'echo over ipv6' from [::1]:");
    assert!(got.starts_with("recvfrom"), "{got}");
    client.write("echo\n");
    assert_eq!(client.line(), "[10 bytes]");
    assert_eq!(client.line(), "over ipv6");
}

#[test]
fn udp_loses_what_does_not_fit_the_buffer() {
    let (_server, addr) = Program::server(&UDP_SERVER, &[]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    socket.send_to(b"seq 1 1000", addr).unwrap();

    let mut buf = [0u8; 1024];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(n, 0, "first the empty stderr datagram");
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(n, 1024, "then stdout, cut to the buffer");
    assert_eq!(&buf[..n], &seq(1000).as_bytes()[..1024]);

    // The other 2869 bytes of that datagram are gone: nothing more arrives.
    socket.set_read_timeout(Some(QUIET)).unwrap();
    assert!(socket.recv_from(&mut buf).is_err());
}

#[test]
fn udp_cannot_send_a_datagram_over_64_kib_and_the_server_carries_on() {
    let (mut server, addr) = Program::server(&UDP_SERVER, &[]);
    let mut client = Program::start(&UDP_CLIENT, &["--addr", &addr.to_string()]);

    client.write("seq 1 20000\n");
    assert_eq!(
        shell_reply(&mut client),
        "",
        "the empty stderr datagram still goes"
    );
    let failed = server.line_containing("sendto 108894 bytes (stdout) to 127.0.0.1:");
    assert!(
        failed.ends_with("failed: Message too long (os error 90)"),
        "{failed}"
    );

    // No stdout datagram was sent, so this time nothing is left over: the server still answers.
    client.write("echo still here\n");
    assert_eq!(shell_reply(&mut client), "");
    client.write("echo\n");
    assert_eq!(shell_reply(&mut client), "still here\n");
}

#[test]
fn the_articles_python_udp_client_sees_the_same() {
    let (_server, addr) = Program::server(&UDP_SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "udp_client"),
        &[&addr.to_string()],
    );
    client.write("echo hi\n");
    assert_eq!(client.line(), "[0 bytes]");
    client.write("echo ho\n");
    assert_eq!(client.line(), "[3 bytes]");
    assert_eq!(client.line(), "hi");
}

#[test]
fn remote_shells_stay_on_loopback_unless_told_otherwise() {
    // (With --allow-remote they would bind and warn; tests bind only loopback, so the
    // support crate's unit test checks that side.)
    for server in [&SERVER, &UDP_SERVER] {
        let refused = run(server, &["--addr", "0.0.0.0:0"], "");
        assert!(!refused.success);
        assert!(
            refused
                .stderr
                .starts_with("Error: refusing to listen on 0.0.0.0:0")
        );
        assert!(refused.stderr.contains("--allow-remote"));
    }
}
