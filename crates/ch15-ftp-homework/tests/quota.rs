//! Requirement 4: a disk quota per user, refused before any byte is written.

mod common;

use common::Site;

#[test]
fn an_upload_over_the_quota_is_refused_before_any_byte() {
    let site = Site::new(&[("alice", "100K")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "small", 60 * 1024);
    site.file("alice", "big", 60 * 1024);

    let done = site.client(addr, "alice", "put small\nquota\nput big\nquota\n");
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
        "put a\nrm a\nput b\nput b\nquota\nput b again\nquota\nput b\nrm b\nput b again\nquota\n",
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
    let done = site.client(addr, "alice", "quota\nput new\n");
    assert_eq!(done.stdout[1], "using 94208 of 102400 bytes");
    assert!(done.stdout[2].starts_with("error: quota exceeded"));
}
