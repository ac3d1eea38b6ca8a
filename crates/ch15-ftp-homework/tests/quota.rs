//! Requirement 4: a disk quota per user, refused before any byte is written.

mod common;

use ch15_ftp_homework::proto::Request;
use common::Site;

#[test]
fn an_upload_over_the_quota_is_refused_before_any_byte() {
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "small", 60 * 1024);
    site.file("alice", "big", 60 * 1024);

    let done = site.client(
        addr,
        "alice",
        "put small\nquota --bytes\nput big\nquota --bytes\n",
    );
    assert!(!done.success);
    assert!(done.stdout[1].starts_with("put small -> small: 61440 bytes"));
    assert_eq!(done.stdout[2], "using 61440 of 102400 bytes");
    assert_eq!(
        done.stdout[3],
        "error: quota exceeded: this needs 61440 more bytes, and you use 61440 of your 102400"
    );
    assert_eq!(done.stdout[4], "using 61440 of 102400 bytes");
    // Nothing of "big" reached the disk, not even a partial file.
    assert!(!site.home("alice").join("big").exists());
    let partials = std::fs::read_dir(site.home("alice").join(".partial")).unwrap();
    assert_eq!(partials.count(), 0);
}

#[test]
fn removing_and_replacing_files_gives_room_back() {
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "a", 60 * 1024);
    site.file("alice", "b", 48 * 1024);
    let done = site.client(
        addr,
        "alice",
        "put a\nrm a\nput b\nput b\nquota --bytes\nput b again\nquota --bytes\nput b\nrm b\nput b again\nquota --bytes\n",
    );
    let out: Vec<&str> = done.stdout.iter().map(String::as_str).collect();
    // Removing a gives its room back; b replaces itself: room for the old copy and the
    // new while the new one arrives, then only the new.
    assert!(out[4].starts_with("put b -> b: 49152 bytes"), "{out:?}");
    assert_eq!(out[5], "using 49152 of 102400 bytes");
    // A second copy fits; replacing one of two no longer does, until the other goes.
    assert!(out[6].starts_with("put b -> again: 49152 bytes"), "{out:?}");
    assert_eq!(out[7], "using 98304 of 102400 bytes");
    assert_eq!(
        out[8],
        "error: quota exceeded: this needs 49152 more bytes, and you use 98304 of your 102400"
    );
    assert_eq!(out[9], "removed b");
    assert!(
        out[10].starts_with("put b -> again: 49152 bytes"),
        "{out:?}"
    );
    assert_eq!(out[11..], ["using 49152 of 102400 bytes"]);
}

#[test]
fn two_sessions_of_one_user_share_the_quota() {
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "a", 60 * 1024);
    let mut first = site.session(addr, "alice");
    let mut second = site.session(addr, "alice");
    first.write("put a one\n");
    assert!(first.line().starts_with("put a -> one: 61440 bytes"));
    second.write("put a two\n");
    assert!(second.line().starts_with("error: quota exceeded"));
}

#[test]
fn the_quota_counts_what_is_in_the_home_when_the_server_starts() {
    let site = Site::new(&[("alice", "100K")]);
    std::fs::write(site.home("alice").join("old"), vec![0u8; 90 * 1024]).unwrap();
    let (_server, addr) = site.start(&[]);
    site.file("alice", "new", 20 * 1024);
    let done = site.client(addr, "alice", "quota --bytes\nput new\n");
    assert_eq!(done.stdout[1], "using 94208 of 102400 bytes");
    assert!(done.stdout[2].starts_with("error: quota exceeded"));
}

/// Two sessions of one user race each other: one puts `f` and removes `g`, the other
/// removes `f` and puts `g`, 200 times. Two files do not fit in the quota at once. After
/// every round, what is on disk is within the quota, and the server's count is exactly what
/// is on disk.
#[test]
fn racing_puts_and_removes_never_break_the_quota_or_the_count() {
    use std::sync::{Arc, Barrier};
    use std::thread;
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    let home = site.home("alice");
    let bytes: Arc<Vec<u8>> = Arc::new((0..60 * 1024).map(|i| (i % 251) as u8).collect());
    const ROUNDS: usize = 200;
    let round = Arc::new(Barrier::new(3));
    let racer = |put: &'static str, rm: &'static str| {
        let (bytes, round) = (Arc::clone(&bytes), Arc::clone(&round));
        let mut conn = common::logged_in(addr, "alice");
        thread::spawn(move || {
            for _ in 0..ROUNDS {
                round.wait();
                if put == "f" {
                    common::put(&mut conn, put, &bytes);
                    common::call(&mut conn, &Request::Rm { path: rm.into() });
                } else {
                    common::call(&mut conn, &Request::Rm { path: rm.into() });
                    common::put(&mut conn, put, &bytes);
                }
                round.wait();
            }
        })
    };
    let racers = [racer("f", "g"), racer("g", "f")];
    let mut watcher = common::logged_in(addr, "alice");
    for _ in 0..ROUNDS {
        round.wait();
        round.wait();
        let (on_disk, _) = common::spent(&home);
        assert!(on_disk <= 100 * 1024, "{on_disk} bytes stored");
        assert_eq!(common::used(&mut watcher), on_disk);
    }
    for racer in racers {
        racer.join().unwrap();
    }
}

#[test]
fn every_file_and_folder_spends_a_block_and_entries_are_capped() {
    let site = Site::new(&[("alice", "64K"), ("bob", "1G")]);
    let (_server, addr) = site.start(&["--max-entries", "5"]);

    // alice's 64 KiB would hold 16 empty folders; the cap of 5 entries comes first.
    let mut alice = common::logged_in(addr, "alice");
    assert_eq!(mkdirs(&mut alice, 20), 5);
    assert_eq!(common::used(&mut alice), 5 * 4096);

    // bob has room for gigabytes, but not for a sixth entry.
    let mut bob = common::logged_in(addr, "bob");
    for i in 0..5 {
        let reply = common::put(&mut bob, &format!("e{i}"), b"");
        assert_eq!(reply.error, None);
    }
    let sixth = common::put(&mut bob, "e5", b"");
    assert_eq!(
        sixth.error.as_deref(),
        Some("too many files and folders: you have 5, and may have 5")
    );
    let sixth = common::call(&mut bob, &Request::Mkdir { path: "d".into() });
    assert!(
        sixth
            .error
            .unwrap()
            .starts_with("too many files and folders")
    );
    // While a file is replaced, the old and the new copy are both on disk: that needs
    // room for one more, which is there once another file goes.
    assert!(common::put(&mut bob, "e0", b"again").error.is_some());
    common::call(&mut bob, &Request::Rm { path: "e4".into() });
    assert_eq!(common::put(&mut bob, "e0", b"again").error, None);
    assert_eq!(common::spent(&site.home("bob")), (4 * 4096, 4));
}

#[test]
fn a_small_quota_holds_only_so_many_empty_folders() {
    let site = Site::new(&[("alice", "64K")]);
    let (_server, addr) = site.start(&[]);
    // 64 KiB is 16 blocks: 16 empty folders, whatever their bytes.
    let mut alice = common::logged_in(addr, "alice");
    assert_eq!(mkdirs(&mut alice, 20), 16);
    assert_eq!(common::spent(&site.home("alice")), (64 * 1024, 16));
}

/// Tries to make `n` folders; returns how many were made.
fn mkdirs(conn: &mut std::net::TcpStream, n: usize) -> usize {
    (0..n)
        .filter(|i| {
            let request = Request::Mkdir {
                path: format!("d{i}"),
            };
            common::call(conn, &request).error.is_none()
        })
        .count()
}
