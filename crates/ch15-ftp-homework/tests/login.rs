//! Requirements 1 and 2: encrypted user authentication, and several users logged in at once.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use common::{Site, password};

#[test]
fn the_right_password_logs_in_and_a_wrong_one_does_not() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);

    let good = site.client(addr, "alice", "pwd\n");
    assert!(good.success, "{}", good.stderr);
    assert_eq!(good.stdout, ["logged in as alice, in /", "/"]);

    let wrong = testkit::run_command(site.client_command(addr, "alice", "not-it"), "pwd\n");
    assert!(!wrong.success);
    assert_eq!(
        wrong.stderr.trim(),
        "Error: login failed: wrong user name or password"
    );

    // A user who does not exist gets the same answer: names cannot be probed.
    std::fs::create_dir_all(site.local("mallory")).unwrap();
    let stranger = testkit::run_command(site.client_command(addr, "mallory", "x"), "pwd\n");
    assert_eq!(stranger.stderr, wrong.stderr);
}

#[test]
fn the_server_keeps_no_password_and_none_crosses_the_wire() {
    let site = Site::new(&[("alice", "1M")]);
    let users = std::fs::read_to_string(site.root().join("users.json")).unwrap();
    assert!(!users.contains(&password("alice")));
    assert!(users.contains("\"salt\"") && users.contains("\"stored_key\""));

    // Everything the client and the server say to each other passes through a recorder.
    let (_server, addr) = site.start(&[]);
    let heard = Arc::new(Mutex::new(Vec::new()));
    let recorder = record(addr, Arc::clone(&heard));
    let done = site.client(recorder, "alice", "pwd\n");
    assert!(done.success, "{}", done.stderr);

    let heard = heard.lock().unwrap();
    let text = String::from_utf8_lossy(&heard);
    assert!(
        text.contains(r#""cmd":"auth""#),
        "the recorder heard the login"
    );
    assert!(!text.contains(&password("alice")));
}

#[test]
fn several_users_at_once_each_in_their_own_home() {
    let site = Site::new(&[("alice", "1M"), ("bob", "1M")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "a.txt", 1000);
    site.file("bob", "b.txt", 2000);

    // Both are logged in at the same time.
    let mut alice = site.session(addr, "alice");
    let mut bob = site.session(addr, "bob");
    alice.write("put a.txt\n");
    bob.write("put b.txt\n");
    assert!(alice.line().starts_with("put a.txt -> a.txt: 1000 bytes"));
    assert!(bob.line().starts_with("put b.txt -> b.txt: 2000 bytes"));

    alice.write("ls\n");
    assert_eq!(alice.line(), "file         1000  a.txt");
    bob.write("ls\n");
    assert_eq!(bob.line(), "file         2000  b.txt");
    assert!(site.home("alice").join("a.txt").exists());
    assert!(!site.home("alice").join("b.txt").exists());
}

#[test]
fn three_wrong_passwords_close_the_connection() {
    use ch15_ftp_homework::proto::{self, Reply, Status};
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let mut conn = testkit::connect(addr);
    for _ in 0..3 {
        let reply = common::try_proof(&mut conn, "alice", &"00".repeat(32));
        assert_eq!(reply.status, Status::Error);
    }
    let after: Option<Reply> = proto::recv(&mut conn).unwrap_or(None);
    assert_eq!(after, None, "the server hung up");
}

#[test]
fn nothing_but_login_before_logging_in() {
    use ch15_ftp_homework::proto::{self, Reply, Request};
    let site = Site::new(&[]);
    let (_server, addr) = site.start(&[]);
    let mut conn = testkit::connect(addr);
    proto::send(&mut conn, &Request::Ls { path: None }).unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.error.as_deref(), Some("log in first"));
}

#[test]
fn users_are_managed_with_subcommands() {
    let site = Site::new(&[("alice", "1M")]);
    let listed = site.admin(&["users"], "");
    assert_eq!(
        listed.stdout,
        ["alice            uses        0 B of   1.00 MiB"]
    );
    site.admin(&["quota", "alice", "2.5G"], "");
    let listed = site.admin(&["users"], "");
    assert_eq!(
        listed.stdout,
        ["alice            uses        0 B of   2.50 GiB"]
    );

    // A new password works at once, the old one no longer.
    site.admin(&["passwd", "alice"], "a-new-password");
    let (_server, addr) = site.start(&[]);
    let old = site.client(addr, "alice", "pwd\n");
    assert!(!old.success);
    let new = testkit::run_command(
        site.client_command(addr, "alice", "a-new-password"),
        "pwd\n",
    );
    assert!(new.success, "{}", new.stderr);

    site.admin(&["userdel", "alice"], "");
    assert_eq!(site.admin(&["users"], "").stdout, Vec::<String>::new());
}

/// A proxy to `target` that keeps a copy of every byte it passes, both ways.
fn record(target: std::net::SocketAddr, heard: Arc<Mutex<Vec<u8>>>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(target).unwrap();
        let copy = |mut from: TcpStream, mut to: TcpStream, heard: Arc<Mutex<Vec<u8>>>| {
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    heard.lock().unwrap().extend_from_slice(&buf[..n]);
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Write);
            })
        };
        copy(
            client.try_clone().unwrap(),
            server.try_clone().unwrap(),
            Arc::clone(&heard),
        );
        copy(server, client, heard);
    });
    addr
}
