//! Requirements 7, 8 and 9: md5-checked transfers, a progress bar, and resuming both ways.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;

use ch15_ftp_homework::proto::{self, Reply, Request, Status, Trailer};
use common::{Site, md5_of, stall_after};
use testkit::Program;

#[test]
fn put_and_get_bring_back_the_same_bytes_and_md5() {
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    let original = site.file("alice", "data.bin", 3_000_000);
    let md5 = md5_of(&original);

    let done = site.client(addr, "alice", "put data.bin\nget data.bin copy.bin\n");
    assert!(done.success, "{:?}", done);
    assert_eq!(
        done.stdout[1],
        format!("put data.bin -> data.bin: 3000000 bytes, md5 {md5} verified")
    );
    assert_eq!(
        done.stdout[2],
        format!("get data.bin -> copy.bin: 3000000 bytes, md5 {md5} verified")
    );
    assert_eq!(md5_of(&site.home("alice").join("data.bin")), md5);
    assert_eq!(
        std::fs::read(original).unwrap(),
        std::fs::read(site.local("alice").join("copy.bin")).unwrap()
    );
    assert!(!site.local("alice").join("copy.bin.part").exists());
}

#[test]
fn an_upload_whose_md5_does_not_match_is_discarded() {
    let site = Site::new(&[("alice", "1M")]);
    let (mut server, addr) = site.start(&[]);
    let mut conn = testkit::connect(addr);
    common::login(&mut conn, "alice");

    proto::send(
        &mut conn,
        &Request::Put {
            path: "a.txt".into(),
            size: 5,
        },
    )
    .unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.offset, Some(0));
    conn.write_all(b"hello").unwrap();
    let wrong = Trailer {
        md5: "0".repeat(32),
    };
    proto::send(&mut conn, &wrong).unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.status, Status::Error);
    let error = reply.error.unwrap();
    assert!(error.starts_with("md5 mismatch"), "{error}");
    server.line_containing("md5 mismatch");
    assert!(!site.home("alice").join("a.txt").exists());
    assert_eq!(
        std::fs::read_dir(site.home("alice").join(".partial"))
            .unwrap()
            .count(),
        0
    );

    // The connection is still good: the same upload with the right md5 goes through.
    proto::send(
        &mut conn,
        &Request::Put {
            path: "a.txt".into(),
            size: 5,
        },
    )
    .unwrap();
    let _: Reply = proto::recv(&mut conn).unwrap().unwrap();
    conn.write_all(b"hello").unwrap();
    let right = Trailer {
        md5: "5d41402abc4b2a76b9719d911017c592".into(),
    };
    proto::send(&mut conn, &right).unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(reply.status, Status::Ok, "{reply:?}");
    assert_eq!(
        std::fs::read(site.home("alice").join("a.txt")).unwrap(),
        b"hello"
    );
}

#[test]
fn a_download_whose_md5_does_not_match_is_discarded() {
    // A server that logs anyone in, then sends "hello" with the md5 of something else.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _: Option<serde_json::Value> = proto::recv(&mut conn).unwrap();
        let challenge = Reply {
            salt: Some("00".repeat(16)),
            kdf: Some(ch15_ftp_homework::auth::Kdf { m: 8, t: 1, p: 1 }),
            challenge: Some("00".repeat(32)),
            ..Reply::ok()
        };
        proto::send(&mut conn, &challenge).unwrap();
        let _: Option<serde_json::Value> = proto::recv(&mut conn).unwrap();
        proto::send(
            &mut conn,
            &Reply {
                cwd: Some("/".into()),
                ..Reply::ok()
            },
        )
        .unwrap();
        let _: Option<serde_json::Value> = proto::recv(&mut conn).unwrap();
        proto::send(
            &mut conn,
            &Reply {
                size: Some(5),
                ..Reply::ok()
            },
        )
        .unwrap();
        conn.write_all(b"hello").unwrap();
        proto::send(
            &mut conn,
            &Trailer {
                md5: "0".repeat(32),
            },
        )
        .unwrap();
        let _ = proto::recv::<serde_json::Value>(&mut conn);
    });
    let site = Site::new(&[]);
    std::fs::create_dir_all(site.local("alice")).unwrap();
    let done = site.client(addr, "alice", "get a.txt\n");
    assert!(!done.success);
    assert!(
        done.stdout[1].starts_with("error: md5 mismatch"),
        "{:?}",
        done.stdout
    );
    assert!(!site.local("alice").join("a.txt").exists());
    assert!(!site.local("alice").join("a.txt.part").exists());
}

#[test]
fn transfers_show_a_progress_bar_with_rate_and_time_left() {
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "data.bin", 2_000_000);
    let mut command = site.client_command(addr, "alice", &common::password("alice"));
    command.args(["--progress", "always"]);
    let done = testkit::run_command(command, "put data.bin\n");
    assert!(done.success, "{}", done.stderr);
    let last = done.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("data.bin [=============================="),
        "{last}"
    );
    assert!(last.contains("1.91 MiB/1.91 MiB"), "{last}");
    assert!(last.contains("/s eta "), "{last}");

    // Without a terminal, and without --progress always, no bar clutters the output.
    let quiet = site.client(addr, "alice", "get data.bin copy.bin\n");
    assert_eq!(quiet.stderr, "");
}

#[test]
fn an_interrupted_upload_resumes_where_it_stopped() {
    let site = Site::new(&[("alice", "100M")]);
    let (mut server, addr) = site.start(&[]);
    let original = site.file("alice", "big.bin", 20_000_000);

    // The network stops after 8 MB; the client is killed while it waits.
    let (proxy, stalled) = stall_after(addr, 8_000_000, true);
    let mut client =
        Program::spawn(site.client_command(proxy, "alice", &common::password("alice")));
    client.write("put big.bin\n");
    stalled.recv_timeout(testkit::PATIENCE).unwrap();
    client.kill();
    server.line_containing("ended: cut off after");
    // What arrived waits as a partial file; nothing looks like a finished big.bin.
    assert!(!site.home("alice").join("big.bin").exists());

    let resumed_at = common::resume(&site, addr, "put", &original);
    assert!(
        resumed_at > 7_000_000 && resumed_at < 8_000_000,
        "{resumed_at}"
    );
    assert_eq!(
        md5_of(&site.home("alice").join("big.bin")),
        md5_of(&original)
    );
    assert_eq!(
        std::fs::read_dir(site.home("alice").join(".partial"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn an_interrupted_download_resumes_where_it_stopped() {
    let site = Site::new(&[("alice", "100M")]);
    let (_server, addr) = site.start(&[]);
    let original = site.home("alice").join("big.bin");
    let bytes: Vec<u8> = (0..20_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&original, &bytes).unwrap();

    let (proxy, stalled) = stall_after(addr, 8_000_000, false);
    let mut client =
        Program::spawn(site.client_command(proxy, "alice", &common::password("alice")));
    client.write("get big.bin\n");
    stalled.recv_timeout(testkit::PATIENCE).unwrap();
    client.kill();
    let local = site.local("alice").join("big.bin");
    assert!(
        !local.exists(),
        "an unfinished download never has the final name"
    );
    assert!(site.local("alice").join("big.bin.part").exists());

    common::resume(&site, addr, "get", &original);
    assert_eq!(std::fs::read(&local).unwrap(), bytes);
    assert!(!site.local("alice").join("big.bin.part").exists());
}

#[test]
fn a_stale_partial_download_of_another_file_starts_over() {
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    std::fs::write(site.home("alice").join("f"), b"short").unwrap();
    // A partial longer than the file now is: not a piece of it.
    std::fs::write(
        site.local("alice").join("f.part"),
        b"a much longer old partial",
    )
    .unwrap();
    let done = site.client(addr, "alice", "get f\n");
    assert!(done.success, "{:?}", done);
    assert_eq!(
        std::fs::read(site.local("alice").join("f")).unwrap(),
        b"short"
    );
}

#[test]
fn a_resume_offset_past_the_end_is_refused() {
    let site = Site::new(&[("alice", "1M")]);
    std::fs::write(site.home("alice").join("f"), b"12345").unwrap();
    let (_server, addr) = site.start(&[]);
    let mut conn = TcpStream::connect(addr).unwrap();
    common::login(&mut conn, "alice");
    proto::send(
        &mut conn,
        &Request::Get {
            path: "f".into(),
            offset: 6,
        },
    )
    .unwrap();
    let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
    assert_eq!(
        reply.error.as_deref(),
        Some("offset 6 is beyond the end of /f (5 bytes)")
    );
}

/// `--limit-rate` keeps each transfer, both ways, at or below the rate (so that a class can
/// watch a progress bar, and stop a transfer midway to resume it).
#[test]
fn the_server_keeps_transfers_to_its_limit_rate() {
    use std::time::{Duration, Instant};
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&["--limit-rate", "1M"]);
    let bytes: Vec<u8> = (0..512 * 1024).map(|i| (i % 253) as u8).collect();
    let mut conn = common::logged_in(addr, "alice");

    let started = Instant::now();
    let reply = common::put(&mut conn, "half.bin", &bytes);
    assert_eq!(reply.status, Status::Ok, "{reply:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450),
        "put of 512 KiB at 1 MiB/s took {took:?}"
    );

    let started = Instant::now();
    let done = site.client(addr, "alice", "get half.bin\n");
    assert!(done.success, "{:?}", done);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450),
        "get of 512 KiB at 1 MiB/s took {took:?}"
    );
    assert_eq!(
        std::fs::read(site.local("alice").join("half.bin")).unwrap(),
        bytes
    );
}
