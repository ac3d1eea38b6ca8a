//! Deep trees: a home holding a tree thousands of levels deep does not bring the server down
//! (it measures homes without recursion), and no request may grow one (paths are limited in
//! depth and length, however they are typed).

mod common;

use std::path::Path;

use ch15_ftp_homework::proto::{Request, Status};
use common::{Site, call};

/// Makes `a/a/a/...` `levels` deep in `folder`, without ever naming a long path: each new
/// level is made at the top, and the tree so far moved into it.
fn deep_tree(folder: &Path, levels: usize) {
    std::fs::create_dir(folder.join("a")).unwrap();
    for _ in 1..levels {
        std::fs::create_dir(folder.join("b")).unwrap();
        std::fs::rename(folder.join("a"), folder.join("b/a")).unwrap();
        std::fs::rename(folder.join("b"), folder.join("a")).unwrap();
    }
}

/// Removes what [`deep_tree`] made, the same way in reverse (a recursive removal could not).
fn fell(folder: &Path, levels: usize) {
    for _ in 1..levels {
        std::fs::rename(folder.join("a/a"), folder.join("b")).unwrap();
        std::fs::remove_dir(folder.join("a")).unwrap();
        std::fs::rename(folder.join("b"), folder.join("a")).unwrap();
    }
    std::fs::remove_dir(folder.join("a")).unwrap();
}

#[test]
fn a_server_over_a_home_with_a_tree_2000_levels_deep_starts_and_serves() {
    let site = Site::new(&[("alice", "1G"), ("bob", "1M")]);
    deep_tree(&site.home("alice"), 2000);
    let (mut server, addr) = site.start(&[]);

    // alice's first login measures her home; the server survives it, and counts the tree.
    let mut alice = common::logged_in(addr, "alice");
    assert!(common::used(&mut alice) >= 1000 * 4096);
    let reply = common::put(&mut alice, "f", b"fine");
    assert_eq!(reply.status, Status::Ok, "{reply:?}");
    let done = site.client(addr, "bob", "pwd\n");
    assert!(done.success, "{}", done.stderr);
    // A path into the tree is refused as too deep, not followed.
    let reply = call(
        &mut alice,
        &Request::Cd {
            path: "a/".repeat(100),
        },
    );
    assert!(reply.error.unwrap().contains("too deep"));
    server.line_containing("bob@");
    fell(&site.home("alice"), 2000);
}

#[test]
fn no_request_can_grow_a_tree_past_the_limits() {
    let site = Site::new(&[("alice", "10M")]);
    let (_server, addr) = site.start(&[]);
    let mut alice = common::logged_in(addr, "alice");
    // One step at a time, as `mkdir a` and `cd a` typed again and again would go.
    for _ in 0..64 {
        let made = call(&mut alice, &Request::Mkdir { path: "a".into() });
        assert_eq!(made.status, Status::Ok, "{made:?}");
        let moved = call(&mut alice, &Request::Cd { path: "a".into() });
        assert_eq!(moved.status, Status::Ok, "{moved:?}");
    }
    let deeper = call(&mut alice, &Request::Mkdir { path: "a".into() });
    assert_eq!(
        deeper.error.as_deref(),
        Some("'a' is too deep: at most 64 folders below your home")
    );
    let put = common::put(&mut alice, "f", b"x");
    assert!(put.error.unwrap().contains("too deep"));
    // Long names reach the length limit first.
    let long = "n".repeat(250);
    let mut alice = common::logged_in(addr, "alice");
    for _ in 0..4 {
        assert_eq!(
            call(&mut alice, &Request::Mkdir { path: long.clone() }).status,
            Status::Ok
        );
        assert_eq!(
            call(&mut alice, &Request::Cd { path: long.clone() }).status,
            Status::Ok
        );
    }
    let longer = call(&mut alice, &Request::Mkdir { path: long });
    assert!(
        longer
            .error
            .unwrap()
            .contains("too long: at most 1024 bytes")
    );
}
