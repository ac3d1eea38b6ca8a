//! Deadlines and caps: nobody holds a line for ever by saying nothing, by logging in for ever,
//! or by trickling a byte at a time; and a crowd of callers who never log in cannot lock a
//! real user out, even when the server may open only 256 files.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use ch15_ftp_homework::proto::{self, Reply, Request, Status};
use common::Site;

/// Sends `bytes` one at a time, `gap` apart, until the server hangs up; returns how many
/// went through before that. Fails if the server never does.
fn trickle(conn: &mut TcpStream, bytes: &[u8], gap: Duration) -> usize {
    for (i, byte) in bytes.iter().enumerate() {
        if conn.write_all(&[*byte]).is_err() {
            return i;
        }
        thread::sleep(gap);
    }
    panic!("the server took all {} bytes", bytes.len());
}

/// Whether the server hung up on `conn` (after any replies it sent).
fn hung_up(conn: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match conn.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

fn frame(json: &[u8]) -> Vec<u8> {
    [&(json.len() as i32).to_le_bytes()[..], json].concat()
}

#[test]
fn a_caller_must_log_in_within_the_login_timeout_however_busy() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&["--login-timeout", "0.5"]);

    // Silent.
    let mut silent = testkit::connect(addr);
    server.line_containing("ended: not logged in within 0.5 s");
    assert!(hung_up(&mut silent));

    // Busy: asking for a challenge again and again, never answering one.
    let mut busy = testkit::connect(addr);
    let login = Request::Login {
        user: "alice".into(),
    };
    let started = Instant::now();
    while proto::send(&mut busy, &login).is_ok() {
        match proto::recv::<Reply>(&mut busy) {
            Ok(Some(reply)) if reply.status == Status::Ok => {}
            _ => break,
        }
        assert!(started.elapsed() < testkit::PATIENCE, "never hung up");
        thread::sleep(Duration::from_millis(50));
    }
    server.line_containing("ended: not logged in within 0.5 s");

    // Someone who logs in in time stays as long as they like.
    let done = site.client(addr, "alice", "pwd\n");
    assert!(done.success, "{}", done.stderr);
}

#[test]
fn a_request_trickled_a_byte_at_a_time_times_out() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&["--request-timeout", "0.5"]);

    // A request frame, 1 byte every 50 ms: each byte comes in time, the whole never does.
    let mut conn = common::logged_in(addr, "alice");
    let pwd = frame(&[br#"{"cmd":"pwd"}"#.as_slice(), &[b' '; 100]].concat());
    let sent = trickle(&mut conn, &pwd, Duration::from_millis(50));
    assert!(sent < pwd.len());
    server.line_containing("ended: too slow: over 0.5 s for a request");

    // The bytes of an upload, the same way.
    let mut conn = common::logged_in(addr, "alice");
    let put = Request::Put {
        path: "slow".into(),
        size: 1000,
    };
    assert_eq!(common::call(&mut conn, &put).offset, Some(0));
    trickle(&mut conn, &[7; 1000], Duration::from_millis(50));
    server.line_containing("ended: too slow");

    // A transfer at a reasonable speed takes as long as it needs.
    let mut conn = common::logged_in(addr, "alice");
    let bytes = vec![1u8; 300 * 1024];
    let reply = common::put(&mut conn, "fine", &bytes);
    assert_eq!(reply.status, Status::Ok, "{reply:?}");
}

#[test]
fn three_hundred_silent_callers_do_not_lock_a_user_out_of_a_server_with_256_files() {
    let site = Site::new(&[("alice", "1M")]);
    // The server may open 256 files (sockets included), as on a small host.
    let (mut server, addr) = common::start_with(&site, "ulimit -n 256", &[]);
    let silent: Vec<TcpStream> = (0..300).map(|_| testkit::connect(addr)).collect();
    server.line_containing("ended: shed, to make room for a newer caller");

    // alice gets in, and works, while the 300 are still connected.
    let done = site.client(addr, "alice", "mkdir docs\nls\n");
    assert!(done.success, "{}", done.stderr);
    assert_eq!(done.stdout[1], "created docs");

    // The oldest silent callers were told why they were hung up on.
    let mut first = silent.into_iter().next().unwrap();
    let reply: Reply = proto::recv(&mut first).unwrap().expect("a reason");
    assert_eq!(
        reply.error.as_deref(),
        Some("the server is busy: too many callers are logging in; try again")
    );
}

#[test]
fn when_every_line_is_a_user_a_new_caller_is_told_the_server_is_full() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&["--max-calls", "2"]);
    let _first = common::logged_in(addr, "alice");
    let _second = common::logged_in(addr, "alice");
    let mut third = testkit::connect(addr);
    let reply: Reply = proto::recv(&mut third).unwrap().expect("a reason");
    assert_eq!(
        reply.error.as_deref(),
        Some("the server is full: 2 calls at once; try again later")
    );
    assert!(hung_up(&mut third));
    server.line_containing("ended: the server is full");
}
