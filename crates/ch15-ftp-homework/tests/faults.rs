//! Faults: the server killed in the middle of a put and of a get, restarted, and the transfer
//! resumed to a byte-identical file; and a disk that refuses more bytes mid-upload.

mod common;

use ch15_ftp_homework::proto::{Request, Status};
use common::{Site, md5_of, password, stall_after};
use testkit::Program;

#[test]
fn a_put_survives_the_server_being_killed_mid_transfer() {
    let site = Site::new(&[("alice", "100M")]);
    let (mut server, addr) = site.start(&[]);
    let original = site.file("alice", "big.bin", 20_000_000);

    let (proxy, stalled) = stall_after(addr, 8_000_000, true);
    let mut client = Program::spawn(site.client_command(proxy, "alice", &password("alice")));
    client.write("put big.bin\n");
    stalled.recv_timeout(testkit::PATIENCE).unwrap();
    // The bytes that reached the server are written before it reads more, so once it has
    // logged nothing new we cannot know how far it got; kill it wherever it is.
    server.kill();
    client.kill();
    assert!(!site.home("alice").join("big.bin").exists());

    let (_again, addr) = site.start_on(&addr.to_string(), &[]);
    assert!(common::resume(&site, addr, "put", &original) > 0);
    assert_eq!(
        md5_of(&site.home("alice").join("big.bin")),
        md5_of(&original)
    );
    assert_eq!(
        std::fs::read(&original).unwrap(),
        std::fs::read(site.home("alice").join("big.bin")).unwrap()
    );
}

#[test]
fn a_get_survives_the_server_being_killed_mid_transfer() {
    let site = Site::new(&[("alice", "100M")]);
    let bytes: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.home("alice").join("big.bin"), &bytes).unwrap();
    let (mut server, addr) = site.start(&[]);

    let (proxy, stalled) = stall_after(addr, 8_000_000, false);
    let mut client = Program::spawn(site.client_command(proxy, "alice", &password("alice")));
    client.write("get big.bin\n");
    stalled.recv_timeout(testkit::PATIENCE).unwrap();
    server.kill();
    // The client sees its connection end, says so, and leaves its partial file.
    assert!(!client.wait().success());
    assert!(
        client.stderr().starts_with("Error: connection lost"),
        "{}",
        client.stderr()
    );
    let local = site.local("alice").join("big.bin");
    assert!(!local.exists());

    let (_again, addr) = site.start_on(&addr.to_string(), &[]);
    assert!(common::resume(&site, addr, "get", &site.home("alice").join("big.bin")) > 0);
    assert_eq!(std::fs::read(&local).unwrap(), bytes);
}

#[test]
fn a_full_disk_mid_upload_is_a_clear_error_and_nothing_is_corrupted() {
    let site = Site::new(&[("alice", "100M")]);
    site.file("alice", "big.bin", 3_000_000);
    site.file("alice", "small.bin", 100_000);
    // The server may write files of 1 MiB at most (ulimit -f, in KiB), as if the disk filled
    // up; SIGXFSZ is ignored, so a write past the limit fails instead of killing the server.
    let (mut server, addr) = common::start_with(&site, r#"ulimit -f 1024; trap "" XFSZ"#, &[]);

    let small = md5_of(&site.local("alice").join("small.bin"));
    let done = site.client(addr, "alice", "put big.bin\nput small.bin\nquota --bytes\n");
    assert!(!done.success);
    assert_eq!(
        done.stdout[1],
        "error: cannot store /big.bin: File too large (os error 27); 1048576 bytes are kept, put again to resume"
    );
    server.line_containing("put \"/big.bin\": File too large");
    assert!(!site.home("alice").join("big.bin").exists());

    // The same session goes on: a file that fits is stored, and the quota counts both, in
    // whole blocks of 4 KiB: 256 for the part kept, 25 for the 100,000 bytes.
    assert_eq!(
        done.stdout[2],
        format!("put small.bin -> small.bin: 100000 bytes, md5 {small} verified")
    );
    assert_eq!(done.stdout[3], "using 1150976 of 104857600 bytes");
}

/// Disk errors on the server's own files: the folder of interrupted uploads is a file, an
/// interrupted upload is a folder. Each request is refused with the reason, the session goes
/// on, and the count stays true.
#[test]
fn disk_errors_are_refusals_and_the_session_goes_on() {
    let site = Site::new(&[("alice", "1M"), ("bob", "1M")]);
    let (mut server, addr) = site.start(&[]);
    // Creating the partial file fails: its folder is a file.
    std::fs::write(site.home("alice").join(".partial"), "in the way").unwrap();
    let mut alice = common::logged_in(addr, "alice");
    let refused = common::put(&mut alice, "a", b"hello");
    assert_eq!(
        refused.error.as_deref(),
        Some("cannot store /a: File exists (os error 17)")
    );
    server.line_containing("refused: cannot store /a: File exists");
    assert_eq!(common::call(&mut alice, &Request::Pwd).status, Status::Ok);
    assert_eq!(
        common::used(&mut alice),
        common::spent(&site.home("alice")).0
    );

    // Opening, and removing, an interrupted upload fail: it is a folder, with a file in it.
    let partial = common::partial_of(&site.home("bob"), "/b");
    std::fs::create_dir_all(partial.join("x")).unwrap();
    let mut bob = common::logged_in(addr, "bob");
    let refused = common::put(&mut bob, "b", b"hello");
    assert_eq!(
        refused.error.as_deref(),
        Some("cannot store /b: Is a directory (os error 21)")
    );
    let refused = common::call(&mut bob, &Request::Rm { path: "b".into() });
    assert_eq!(
        refused.error.as_deref(),
        Some("/b: no such file or directory")
    );
    assert_eq!(common::put(&mut bob, "c", b"fine").status, Status::Ok);
    assert_eq!(common::used(&mut bob), common::spent(&site.home("bob")).0);
}

/// `ls` while another session removes what it lists: an entry that vanishes is left out,
/// never an error, and never the end of the session.
#[test]
fn ls_racing_rm_in_another_session_never_fails() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = Arc::clone(&stop);
        let mut conn = common::logged_in(addr, "alice");
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                common::put(&mut conn, &format!("f{}", i % 20), b"x");
                common::call(
                    &mut conn,
                    &Request::Rm {
                        path: format!("f{}", (i + 10) % 20),
                    },
                );
                i += 1;
            }
        })
    };
    let mut lister = common::logged_in(addr, "alice");
    for _ in 0..300 {
        let reply = common::call(&mut lister, &Request::Ls { path: None });
        assert_eq!(reply.status, Status::Ok, "{reply:?}");
        let body =
            ch12_struct_header::recv_data(&mut lister, reply.size.unwrap(), 1 << 20).unwrap();
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert!(entries.len() <= 20);
    }
    stop.store(true, Ordering::SeqCst);
    churn.join().unwrap();
}
