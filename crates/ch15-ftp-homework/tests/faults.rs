//! Faults: the server killed in the middle of a put and of a get, restarted, and the transfer
//! resumed to a byte-identical file; and a disk that refuses more bytes mid-upload.

mod common;

use std::process::Command;

use common::{SERVER, Site, md5_of, password, stall_after};
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
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(r#"ulimit -f 1024; trap "" XFSZ; exec "$0" "$@""#)
        .arg(SERVER.path())
        .args(site.server_args("127.0.0.1:0"));
    let (mut server, addr) = Program::spawn_server(command);

    let small = md5_of(&site.local("alice").join("small.bin"));
    let done = site.client(addr, "alice", "put big.bin\nput small.bin\nquota\n");
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
