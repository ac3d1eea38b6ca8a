//! One user's trouble never affects another: a silent connection is dropped after the idle
//! timeout, a broken frame ends only its own connection, and the others go on.

mod common;

use std::io::Write;

use ch15_ftp_homework::proto::{self, Reply};
use common::Site;

#[test]
fn a_silent_connection_is_dropped_and_others_are_served_meanwhile() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&["--idle-timeout", "1"]);
    let silent = testkit::connect(addr);
    server.line_containing("call from");

    // While it says nothing, alice works as usual.
    let done = site.client(addr, "alice", "pwd\n");
    assert!(done.success, "{}", done.stderr);

    // Then the server gives up on the silent one.
    server.line_containing("ended: silent for 1 s");
    let mut silent = silent;
    let mut buf = [0u8; 1];
    assert!(matches!(
        std::io::Read::read(&mut silent, &mut buf),
        Ok(0) | Err(_)
    ));
}

#[test]
fn a_broken_frame_ends_only_its_own_connection() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let mut alice = site.session(addr, "alice");

    let mut rude = testkit::connect(addr);
    rude.write_all(&(-7i32).to_le_bytes()).unwrap();
    let reply: Reply = proto::recv(&mut rude).unwrap().unwrap();
    assert_eq!(
        reply.error.as_deref(),
        Some("bad header length -7: expected 1 to 65536")
    );

    alice.write("pwd\n");
    assert_eq!(alice.line(), "/");
}
