//! What a student should see in 十二: ch09's sticky scenario is cured by the frame, with the
//! article's programs at either end; and no frame a server sends can crash the client.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use testkit::{Bin, Program, connect, peer, python, run, seq, shell_reply};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

#[test]
fn the_long_reply_arrives_whole_and_the_next_one_is_its_own() {
    // ch09's scenario, unchanged: seq 1 3000, then echo hello.
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    client.write("seq 1 3000\n");
    assert_eq!(shell_reply(&mut client), seq(3000));
    client.write("echo hello\n");
    assert_eq!(shell_reply(&mut client), "hello\n");
}

#[test]
fn the_wire_is_four_bytes_a_json_header_and_the_data() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut conn = connect(addr);
    conn.write_all(b"echo hi").unwrap();
    let mut frame = [0u8; 4 + 15 + 3];
    conn.read_exact(&mut frame).unwrap();
    assert_eq!(&frame[..4], b"\x0f\x00\x00\x00", "struct.pack('i', 15)");
    assert_eq!(&frame[4..19], br#"{"data_size":3}"#);
    assert_eq!(&frame[19..], b"hi\n");
}

#[test]
fn the_reply_carries_errors_and_output() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    client.write("echo out; echo err >&2\n");
    assert_eq!(shell_reply(&mut client), "err\nout\n");
}

#[test]
fn the_articles_client_reads_these_frames() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "client"),
        &[&addr.to_string()],
    );
    client.write("seq 1 3000\necho hello\n");
    assert_eq!(shell_reply(&mut client), seq(3000));
    assert_eq!(shell_reply(&mut client), "hello\n");
}

#[test]
fn this_client_reads_the_articles_frames() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "server"), &["0"]);
    let addr = server.address();
    let mut client = Program::start(&CLIENT, &["--addr", &addr.to_string()]);
    client.write("seq 1 3000\n");
    assert_eq!(shell_reply(&mut client), seq(3000));
    client.write("echo hello\n");
    assert_eq!(shell_reply(&mut client), "hello\n");
}

/// A fake server that reads one command, answers with `answer`, then hangs up; returns what
/// the client printed on stderr, after checking it failed with one line.
fn client_error_for(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let shown = format!("{answer:?}");
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut command = [0u8; 1024];
        let _ = conn.read(&mut command);
        let _ = conn.write_all(&answer);
    });
    let client = run(&CLIENT, &["--addr", &addr], "echo hi\n");
    assert!(!client.success, "the client accepted {shown}");
    assert_eq!(client.stderr.lines().count(), 1, "{}", client.stderr);
    client.stderr.trim().to_owned()
}

/// A header length (struct.pack('i', ...)) and the bytes after it.
fn framed(length: i32, rest: &[u8]) -> Vec<u8> {
    [&length.to_le_bytes()[..], rest].concat()
}

/// A frame whose length is right for `json`, followed by `data`.
fn with_header(json: &str, data: &[u8]) -> Vec<u8> {
    framed(json.len() as i32, &[json.as_bytes(), data].concat())
}

#[test]
fn hostile_frames_are_one_clear_error() {
    let cases = [
        (framed(-5, b""), "bad header length -5: expected 1 to 65536"),
        (framed(0, b""), "bad header length 0: expected 1 to 65536"),
        (
            framed(65537, b""),
            "bad header length 65537: expected 1 to 65536",
        ),
        (
            vec![15, 0],
            "the frame was cut off in the header length after 2 of 4 bytes",
        ),
        (
            framed(15, br#"{"data"#),
            "the frame was cut off in the 15-byte header",
        ),
        (
            with_header("hello", b""),
            "bad header b'hello': expected value",
        ),
        (
            with_header(r#"{"size": 3}"#, b""),
            "bad header b'{\"size\": 3}': missing field `data_size`",
        ),
        (
            with_header(r#"{"data_size":-3}"#, b""),
            "bad header b'{\"data_size\":-3}': invalid value",
        ),
        (
            with_header(r#"{"data_size":99}"#, b"hi"),
            "the frame was cut off in the data after 2 of 99 bytes",
        ),
        // JSON, but not an object: `null` must not pass for the server hanging up.
        (
            with_header("null", b""),
            "bad header b'null': expected a JSON object",
        ),
        (
            with_header("[3]", b"abc"),
            "bad header b'[3]': expected a JSON object",
        ),
        (
            with_header("3", b"abc"),
            "bad header b'3': expected a JSON object",
        ),
        (
            with_header(r#""data_size""#, b""),
            "bad header b'\"data_size\"': expected a JSON object",
        ),
        (
            with_header("\u{fffd}\u{0}", b""),
            "bad header b'\\xef\\xbf\\xbd\\x00': expected value",
        ),
    ];
    for (answer, expected) in cases {
        let shown = format!("{answer:?}");
        let error = client_error_for(answer);
        assert!(
            error.starts_with(&format!("Error: {expected}")),
            "{shown}: {error}"
        );
    }
}

#[test]
fn a_data_size_too_large_to_accept_is_refused_before_any_data() {
    let error = client_error_for(with_header(r#"{"data_size":99999999999}"#, b""));
    assert_eq!(
        error,
        "Error: 99999999999 bytes of data is more than the 1073741824 we accept"
    );
}

#[test]
fn odd_commands_get_framed_replies_and_the_server_carries_on() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    // Bytes that are not UTF-8, and a reset in the middle of a reply: neither stops the server.
    let mut conn = connect(addr);
    conn.write_all(b"\xff\xfe; echo still").unwrap();
    let mut length = [0u8; 4];
    conn.read_exact(&mut length).unwrap();
    let mut header = vec![0u8; i32::from_le_bytes(length) as usize];
    conn.read_exact(&mut header).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    let size = header["data_size"].as_u64().unwrap() as usize;
    let mut data = vec![0u8; size];
    conn.read_exact(&mut data).unwrap();
    assert!(String::from_utf8_lossy(&data).ends_with("still\n"));
    conn.write_all(b"seq 1 100000").unwrap();
    testkit::reset(conn);
    server.line_containing("ended");

    let client = run(&CLIENT, &["--addr", &addr.to_string()], "echo next\n");
    assert_eq!(client.stdout, ["[5 bytes]", "next"]);
}
