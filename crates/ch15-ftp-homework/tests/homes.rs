//! Requirements 3, 5 and 6: a home per user with no way out of it, cd, and ls.

mod common;

use ch15_ftp_homework::proto::{self, Entry, Reply, Request, Status};
use common::Site;

#[test]
fn cd_pwd_mkdir_and_ls_work_like_a_shell() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    site.file("alice", "a.txt", 1234);
    let done = site.client(
        addr,
        "alice",
        "mkdir docs\nmkdir docs/old\ncd docs\npwd\nput a.txt\nls\ncd old\npwd\ncd ../..\npwd\nls\nls docs/a.txt\n",
    );
    assert!(done.success, "{:?}", done);
    let out: Vec<&str> = done.stdout.iter().map(String::as_str).collect();
    assert_eq!(out[1..4], ["created docs", "created docs/old", "/docs"]);
    assert_eq!(out[4], "/docs");
    assert!(out[5].starts_with("put a.txt -> a.txt: 1234 bytes"));
    assert_eq!(
        out[6..8],
        ["file         1234  a.txt", "dir             0  old/"]
    );
    assert_eq!(out[8..11], ["/docs/old", "/docs/old", "/"]);
    assert_eq!(
        out[11..],
        ["/", "dir             0  docs/", "file         1234  a.txt"]
    );
}

#[test]
fn no_path_leads_out_of_the_home() {
    let site = Site::new(&[("alice", "1M"), ("bob", "1M")]);
    std::fs::write(site.home("bob").join("secret.txt"), "bob's").unwrap();
    std::fs::write(site.local("alice").join("x"), "x").unwrap();
    let (_server, addr) = site.start(&[]);

    let attempts = [
        ("cd ..", "error: '..' is outside your home"),
        ("ls ../bob", "error: '../bob' is outside your home"),
        (
            "get ../bob/secret.txt",
            "error: '../bob/secret.txt' is outside your home",
        ),
        (
            "get ../../users.json",
            "error: '../../users.json' is outside your home",
        ),
        ("put x ../x", "error: '../x' is outside your home"),
        (
            "mkdir docs/../../x",
            "error: 'docs/../../x' is outside your home",
        ),
        (
            "get /etc/passwd",
            "error: /etc/passwd: no such file or directory",
        ),
        ("cd /../..", "error: '/../..' is outside your home"),
        (
            "put x .partial/x",
            "error: '.partial' is reserved for interrupted uploads",
        ),
    ];
    let script: String = attempts
        .iter()
        .map(|(command, _)| format!("{command}\n"))
        .collect();
    let done = site.client(addr, "alice", &script);
    assert!(!done.success);
    let expected: Vec<&str> = attempts.iter().map(|(_, error)| *error).collect();
    assert_eq!(done.stdout[1..], expected);
    assert!(!site.root().join("x").exists() && !site.root().join("home/x").exists());
}

#[test]
fn symbolic_links_out_of_the_home_are_not_followed() {
    let site = Site::new(&[("alice", "1M"), ("bob", "1M")]);
    std::fs::write(site.home("bob").join("secret.txt"), "bob's").unwrap();
    std::fs::write(site.local("alice").join("x"), "x").unwrap();
    // Someone with a shell on the server planted links in alice's home.
    std::os::unix::fs::symlink(site.home("bob"), site.home("alice").join("to-bob")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", site.home("alice").join("passwd")).unwrap();
    let (_server, addr) = site.start(&[]);

    let done = site.client(
        addr,
        "alice",
        "get to-bob/secret.txt\nls to-bob\ncd to-bob\nput x to-bob/x\nget passwd\n",
    );
    assert!(!done.success);
    assert_eq!(done.stdout.len(), 6, "{:?}", done.stdout);
    for line in &done.stdout[1..] {
        assert!(line.starts_with("error: "), "{line}");
        assert!(!line.contains("bob's") && !line.contains("root:"), "{line}");
    }
    assert!(!site.home("bob").join("x").exists());
    assert!(!site.local("alice").join("passwd").exists());
    assert!(!site.local("alice").join("secret.txt").exists());
}

#[test]
fn names_the_file_system_could_misread_are_refused() {
    let site = Site::new(&[("alice", "1M")]);
    let (_server, addr) = site.start(&[]);
    let mut conn = testkit::connect(addr);
    common::login(&mut conn, "alice");
    for path in ["a\0b", "a\\b", &"x".repeat(300), &"a/".repeat(2100)] {
        proto::send(&mut conn, &Request::Mkdir { path: path.into() }).unwrap();
        let reply: Reply = proto::recv(&mut conn).unwrap().unwrap();
        assert_eq!(reply.status, Status::Error, "{path:?}");
    }
}

/// Anything in a home that is not a regular file or a folder (a FIFO, a link someone with a
/// shell planted) is refused by every command, at once: opening a FIFO would block for its
/// writer, following a link could lead anywhere.
#[test]
fn fifos_and_links_in_a_home_are_refused_without_blocking() {
    let site = Site::new(&[("alice", "1M")]);
    let home = site.home("alice");
    std::fs::write(home.join("real.txt"), "real").unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(home.join("pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("real.txt", home.join("link")).unwrap();
    std::os::unix::fs::symlink(".", home.join("here")).unwrap();
    let (_server, addr) = site.start(&[]);
    let mut conn = common::logged_in(addr, "alice");

    for name in ["pipe", "link"] {
        let plain = format!("/{name}: not a regular file or folder");
        let requests = [
            Request::Get {
                path: name.into(),
                offset: 0,
            },
            Request::Ls {
                path: Some(name.into()),
            },
            Request::Rm { path: name.into() },
        ];
        for request in requests {
            let reply = common::call(&mut conn, &request);
            assert_eq!(reply.error.as_deref(), Some(plain.as_str()), "{request:?}");
        }
        let cd = common::call(&mut conn, &Request::Cd { path: name.into() });
        assert_eq!(cd.error, Some(format!("/{name}: not a directory")));
        let put = common::put(&mut conn, name, b"over it");
        assert_eq!(put.error.as_deref(), Some(plain.as_str()));
    }
    let cd = common::call(
        &mut conn,
        &Request::Cd {
            path: "here".into(),
        },
    );
    assert!(cd.error.is_some());
    // ls shows only what a user can use.
    let reply = common::call(&mut conn, &Request::Ls { path: None });
    let body = ch12_struct_header::recv_data(&mut conn, reply.size.unwrap(), 1 << 20).unwrap();
    let listed: Vec<Entry> = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = listed.iter().map(|entry| entry.name.as_str()).collect();
    assert_eq!(names, ["real.txt"]);
    assert!(home.join("pipe").exists() && home.join("link").exists());
    assert_eq!(std::fs::read(home.join("real.txt")).unwrap(), b"real");
}
