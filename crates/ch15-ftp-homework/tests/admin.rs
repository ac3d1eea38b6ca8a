//! The administrator's changes apply at once, to the sessions already open too; the password
//! rules hold however the password arrives; a server with no users says how to add one.

mod common;

use std::io::Read;
use std::net::TcpStream;

use ch15_ftp_homework::proto::{self, Reply, Request, Status};
use common::Site;

/// The farewell the server sends before it hangs up on `conn`.
fn farewell(conn: &mut TcpStream) -> String {
    let reply: Reply = proto::recv(conn).unwrap().expect("a reason");
    assert_eq!(reply.status, Status::Error);
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
    assert!(rest.is_empty(), "then nothing more");
    reply.error.unwrap()
}

#[test]
fn passwd_and_userdel_end_the_open_sessions() {
    let site = Site::new(&[("alice", "1M"), ("bob", "1M")]);
    let (mut server, addr) = site.start(&[]);
    let mut waiting = common::logged_in(addr, "alice");
    let mut busy = common::logged_in(addr, "alice");
    let mut bob = common::logged_in(addr, "bob");

    site.admin(&["passwd", "alice"], "another-password");
    // The next request of a session finds out at once...
    proto::send(&mut busy, &Request::Pwd).unwrap();
    assert_eq!(
        farewell(&mut busy),
        "your password was changed: log in again"
    );
    // ...and one that waits for its next request is told, and hung up on.
    assert_eq!(
        farewell(&mut waiting),
        "your password was changed: log in again"
    );
    server.line_containing("ended: your password was changed");
    assert_eq!(
        common::call(&mut bob, &Request::Pwd).status,
        Status::Ok,
        "bob goes on"
    );

    site.admin(&["userdel", "bob"], "");
    assert_eq!(farewell(&mut bob), "your account was removed");
    let again = testkit::run_command(site.client_command(addr, "bob", "bob-password"), "pwd\n");
    assert!(!again.success);
}

/// alice, logged in, with a file of 40,000 bytes (10 blocks).
fn alice_with_a_file(addr: std::net::SocketAddr) -> TcpStream {
    let mut alice = common::logged_in(addr, "alice");
    let reply = common::put(&mut alice, "a", &[1; 40_000]);
    assert_eq!(reply.status, Status::Ok);
    alice
}

#[test]
fn a_lowered_quota_applies_to_the_next_request() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let mut alice = alice_with_a_file(addr);
    site.admin(&["quota", "alice", "48K"], "");
    let refused = common::put(&mut alice, "b", &[2; 10_000]);
    assert_eq!(
        refused.error.as_deref(),
        Some("quota exceeded: this needs 12288 more bytes, and you use 40960 of your 49152")
    );
    let quota = common::call(&mut alice, &Request::Quota);
    assert_eq!((quota.used, quota.quota), (Some(40960), Some(49152)));
}

#[test]
fn a_user_removed_with_purge_and_added_again_starts_from_nothing() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let _alice = alice_with_a_file(addr); // her session stays open meanwhile
    site.admin(&["userdel", "alice", "--purge"], "");
    site.admin(&["useradd", "alice", "--quota", "1M"], "alice-password");
    let mut again = common::logged_in(addr, "alice");
    assert_eq!(common::used(&mut again), 0);
    let listing = common::call(&mut again, &Request::Ls { path: None });
    assert_eq!(listing.size, Some(2), "[]: an empty home");
}

#[test]
fn the_password_rules_hold_for_a_password_from_the_environment() {
    let site = Site::new(&[("alice", "1M")]);
    for (command, password) in [
        (&["useradd", "bob"][..], "short"),
        (&["passwd", "alice"], "x"),
        (&["useradd", "carol12345"], "carol12345"),
    ] {
        let done = site.try_admin(command, password);
        assert!(!done.success, "{command:?} with {password:?}");
        assert!(
            done.stderr.starts_with("Error: SOCKET_LESSONS_PASSWORD: "),
            "{}",
            done.stderr
        );
    }
    let users = std::fs::read_to_string(site.root().join("users.json")).unwrap();
    assert!(!users.contains("bob") && !users.contains("carol"));
}

#[test]
fn a_stranger_gets_the_same_salt_after_a_restart_as_before() {
    let site = Site::new(&[("alice", "1M")]);
    let salt = |addr| {
        let mut conn = testkit::connect(addr);
        let login = Request::Login {
            user: "mallory".into(),
        };
        common::call(&mut conn, &login).salt.unwrap()
    };
    let (mut server, addr) = site.start(&[]);
    let before = salt(addr);
    assert_eq!(salt(addr), before);
    server.kill();
    let (_again, addr) = site.start(&[]);
    assert_eq!(salt(addr), before);
    // It looks like a real user's: 16 bytes, hex.
    assert_eq!(before.len(), 32);
    assert!(before.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn a_server_with_no_users_says_how_to_add_one() {
    let site = Site::new(&[]);
    let (mut server, _addr) = site.start(&[]);
    let line = server.line();
    assert!(
        line.starts_with("no users yet: add one with `server useradd NAME --dir "),
        "{line}"
    );
}

/// On a terminal, `useradd` asks again when the password breaks a rule or the two differ,
/// up to three times. (`script` gives the server a terminal, and types what we pipe to it.)
#[test]
fn useradd_asks_again_on_a_terminal() {
    let site = Site::new(&[]);
    let useradd = |name: &str, typed: &str| {
        let line = format!(
            "{} useradd {name} --dir {}",
            common::SERVER.path().display(),
            site.root().display()
        );
        let mut command = std::process::Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .env_remove("SOCKET_LESSONS_PASSWORD");
        testkit::run_command(command, typed)
    };
    let done = useradd(
        "bob",
        "short\nbob-password\nbob-passw0rd\nbob-password\nbob-password\n",
    );
    assert!(done.success, "{done:?}");
    let said = done.stdout.join("\n");
    assert!(
        said.contains("use at least 8 characters; try again"),
        "{said}"
    );
    assert!(
        said.contains("the two passwords differ; try again"),
        "{said}"
    );
    assert!(
        said.contains("added bob with a quota of 100.00 MiB"),
        "{said}"
    );
    std::fs::create_dir_all(site.local("bob")).unwrap();
    let (_server, addr) = site.start(&[]);
    assert!(site.client(addr, "bob", "pwd\n").success);

    let done = useradd("carol", "a\nb\nc\n");
    assert!(!done.success);
    assert!(
        done.stdout
            .join("\n")
            .contains("no password set after 3 tries")
    );
}
