//! Hostile input: frames and requests built to break the server. Every one gets a clear
//! refusal or a closed connection, the server keeps serving everybody else, and nothing
//! appears outside the user's home.

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;

use ch15_ftp_homework::proto::{self, Reply, Request, Status};
use common::Site;
use proptest::prelude::*;
use serde_json::json;

/// Sends raw bytes on a fresh connection and returns what came back before it closed (or
/// the server went quiet).
fn exchange(addr: SocketAddr, bytes: &[u8], login: bool) -> Vec<u8> {
    let mut conn = testkit::connect(addr);
    if login {
        common::login(&mut conn, "alice");
    }
    let _ = conn.write_all(bytes);
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    answer
}

/// The error in the first reply frame of `answer`.
fn first_error(answer: &[u8]) -> String {
    let reply: Reply = proto::recv(&mut &answer[..])
        .expect("a frame")
        .expect("a reply before the connection closed");
    assert_eq!(reply.status, Status::Error, "{reply:?}");
    reply.error.unwrap()
}

fn frame(json: &[u8]) -> Vec<u8> {
    [&(json.len() as i32).to_le_bytes()[..], json].concat()
}

/// The server still serves alice normally.
fn still_serving(site: &Site, addr: SocketAddr) {
    let done = site.client(addr, "alice", "pwd\n");
    assert!(done.success, "{:?}", done);
}

#[test]
fn broken_frames_are_refused_and_the_connection_closed() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let cases: [(Vec<u8>, &str); 7] = [
        ((-1i32).to_le_bytes().to_vec(), "bad header length -1"),
        (0i32.to_le_bytes().to_vec(), "bad header length 0"),
        (
            i32::MAX.to_le_bytes().to_vec(),
            "bad header length 2147483647",
        ),
        (
            [&30i32.to_le_bytes()[..], b"{\"cmd\""].concat(),
            "the frame was cut off in the 30-byte header",
        ),
        (
            frame(b"\xff\xfe not utf-8"),
            "bad header b'\\xff\\xfe not utf-8'",
        ),
        (
            frame(b"{\"cmd\": \"pwd\""),
            "bad header b'{\"cmd\": \"pwd\"'",
        ),
        (
            vec![7, 0],
            "the frame was cut off in the header length after 2 of 4 bytes",
        ),
    ];
    for (bytes, expected) in cases {
        let answer = exchange(addr, &bytes, false);
        let error = first_error(&answer);
        assert!(error.starts_with(expected), "{bytes:?}: {error}");
    }
    // A header that is not a JSON object (null, a list) is not a hang-up: it is a broken
    // frame, and gets an error, logged in or not.
    for header in [&b"null"[..], b"[\"put\",\"a\"]"] {
        for login in [false, true] {
            let mut conn = testkit::connect(addr);
            if login {
                common::login(&mut conn, "alice");
            }
            conn.write_all(&frame(header)).unwrap();
            let reply: Reply = proto::recv(&mut conn).unwrap().expect("a reply");
            assert_eq!(reply.status, Status::Error);
            assert!(reply.error.unwrap().contains("a JSON object"));
        }
    }
    still_serving(&site, addr);
}

#[test]
fn requests_of_the_wrong_shape_are_refused_and_the_connection_goes_on() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let cases = [
        (json!({"path": "a"}), "a request needs a \"cmd\""),
        (json!({"cmd": 7}), "\"cmd\" must be a string"),
        (
            json!({"cmd": "chmod", "path": "a"}),
            "unknown command 'chmod'",
        ),
        (
            json!({"cmd": "put", "path": "a"}),
            "bad 'put' request: missing field `size`",
        ),
        (
            json!({"cmd": "put", "path": "a", "size": -1}),
            "bad 'put' request: invalid value",
        ),
        (
            json!({"cmd": "put", "path": "a", "size": 1e30}),
            "bad 'put' request: invalid type",
        ),
        (
            json!({"cmd": "get", "path": ["a"]}),
            "bad 'get' request: invalid type",
        ),
        (
            json!({"cmd": "cd", "path": "x", "also": 1}),
            "bad 'cd' request: unknown field `also`",
        ),
    ];
    let mut conn = testkit::connect(addr);
    common::login(&mut conn, "alice");
    for (request, expected) in cases {
        proto::send(&mut conn, &request).unwrap();
        let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
        let error = reply.error.unwrap_or_default();
        assert!(error.starts_with(expected), "{request}: {error}");
    }
    // Still logged in, still in step.
    proto::send(&mut conn, &Request::Pwd).unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.cwd.as_deref(), Some("/"));
    // A size beyond u64 does not even parse as a number JSON can hold.
    let beyond = br#"{"cmd":"put","path":"a","size":18446744073709551616}"#;
    conn.write_all(&frame(beyond)).unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert!(reply.error.unwrap().starts_with("bad 'put' request"));
}

#[test]
fn sizes_that_lie() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&["--request-timeout", "1"]);

    // Far more than the quota: refused before a byte.
    let answer = exchange(
        addr,
        &frame(br#"{"cmd":"put","path":"a","size":9223372036854775807}"#),
        true,
    );
    assert!(first_error(&answer).starts_with("quota exceeded"));

    // Fewer bytes than announced, then the connection closes: kept as an interrupted upload.
    let put = frame(br#"{"cmd":"put","path":"b","size":1000}"#);
    let answer = exchange(addr, &[&put[..], &[1u8; 400]].concat(), true);
    let reply: Reply = proto::recv(&mut &answer[..]).unwrap().unwrap();
    assert_eq!(reply.offset, Some(0));
    server.line_containing("cut off after 400 of 1000 bytes");
    assert!(!site.home("alice").join("b").exists());

    // Fewer bytes, then silence: the request timeout ends it.
    let mut conn = testkit::connect(addr);
    common::login(&mut conn, "alice");
    conn.write_all(&frame(br#"{"cmd":"put","path":"c","size":1000}"#))
        .unwrap();
    conn.write_all(&[2u8; 10]).unwrap();
    server.line_containing("ended: too slow: over 1 s for a request");

    // More bytes than announced: the extra is read as the md5 frame, which it is not.
    let put = frame(br#"{"cmd":"put","path":"d","size":3}"#);
    let answer = exchange(addr, &[&put[..], b"abcdefgh"].concat(), true);
    let mut answer = &answer[..];
    let _offset: Reply = proto::recv(&mut answer).unwrap().unwrap();
    let error = first_error(answer);
    assert!(error.starts_with("bad header length"), "{error}");
    assert!(!site.home("alice").join("d").exists());

    still_serving(&site, addr);
}

#[test]
fn wrong_short_and_missing_login_proofs() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&["--idle-timeout", "1"]);
    for proof in [
        "00".repeat(32),
        "abcd".into(),
        "not hex at all".into(),
        "00".repeat(33),
    ] {
        let reply = common::try_proof(&mut testkit::connect(addr), "alice", &proof);
        assert_eq!(
            reply.error.as_deref(),
            Some("wrong user name or password"),
            "{proof}"
        );
    }
    // A proof without a login first, and a login never answered.
    let mut conn = testkit::connect(addr);
    proto::send(
        &mut conn,
        &Request::Auth {
            proof: "00".repeat(32),
        },
    )
    .unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.error.as_deref(), Some("send login first"));
    let mut silent = testkit::connect(addr);
    proto::send(
        &mut silent,
        &Request::Login {
            user: "alice".into(),
        },
    )
    .unwrap();
    let _: Reply = proto::recv(&mut silent).unwrap().unwrap();
    let after: Option<Reply> = proto::recv(&mut silent).unwrap_or(None);
    assert_eq!(after, None, "dropped after the idle timeout");
    still_serving(&site, addr);
}

#[test]
fn a_user_name_that_is_a_path_gets_no_home_anywhere() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    for name in ["../alice", "/etc", "alice/..", "..", ""] {
        // The stranger gets a challenge like anybody, and then the same refusal.
        let reply = common::try_proof(&mut testkit::connect(addr), name, &"00".repeat(32));
        assert_eq!(reply.error.as_deref(), Some("wrong user name or password"));
    }
    let homes: Vec<_> = std::fs::read_dir(site.root().join("home"))
        .unwrap()
        .collect();
    assert_eq!(homes.len(), 1, "only alice's home");
}

/// Anything at all, sent by someone logged in or not: the server answers or hangs up, and
/// then serves the next client as if nothing happened.
#[test]
fn arbitrary_bytes_never_take_the_server_down() {
    use proptest::test_runner::{Config, TestRunner};
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&["--idle-timeout", "1"]);
    let bytes = proptest::collection::vec(any::<u8>(), 0..300);
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&(bytes, any::<bool>()), |(bytes, login)| {
            exchange(addr, &bytes, login);
            let mut conn = testkit::connect(addr);
            proto::send(&mut conn, &Request::Pwd).unwrap();
            let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
            prop_assert_eq!(reply.error.as_deref(), Some("log in first"));
            Ok(())
        })
        .unwrap();
}

/// Text from a client reaches the log escaped: a newline in a user name or a path cannot
/// forge a log line, and an escape sequence cannot reach the terminal.
#[test]
fn names_with_newlines_and_escapes_cannot_forge_log_lines() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&[]);
    let forged = "call from 6.6.6.6:666 ended";
    let name = format!("x\n{forged}\u{1b}[2J");
    common::try_proof(&mut testkit::connect(addr), &name, &"00".repeat(32));
    let mut conn = testkit::connect(addr);
    common::login(&mut conn, "alice");
    for path in [format!("a\n{forged}"), format!("../\n{forged}")] {
        let reply = common::call(&mut conn, &Request::Mkdir { path });
        assert_eq!(reply.status, Status::Error);
    }
    let odd = json!({"cmd": format!("x\n{forged}")});
    proto::send(&mut conn, &odd).unwrap();
    let _: Reply = proto::recv(&mut conn).unwrap().unwrap();
    proto::send(&mut conn, &Request::Quit).unwrap();
    // Everything the server printed, up to the end of alice's call.
    let mut lines = Vec::new();
    let mut alice = false;
    loop {
        let line = server.line();
        alice |= line.starts_with("alice@");
        let end = alice && line.starts_with("call from") && line.ends_with(" ended");
        lines.push(line);
        if end {
            break;
        }
    }
    for line in &lines {
        assert!(!line.starts_with(forged), "{line}");
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
    let failed = lines.iter().find(|line| line.contains("failed login as"));
    let expected = r#"failed login as "x\ncall from 6.6.6.6:666 ended\u{1b}[2J""#;
    assert!(failed.unwrap().ends_with(expected), "{lines:?}");
}
