//! What a student should see in 十二's FTP homework: files go up and come back byte for byte,
//! with the article's programs at either end; no name leaves the folder, no cut-off upload
//! looks complete, no hostile header stops the server; and one client at a time.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::Duration;

use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request};
use common::names;
use tempfile::TempDir;
use testkit::{Bin, Program, QUIET, connect, peer, python, reset, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

/// A server on a free port storing into `<tmp>/uploads`; `<tmp>/files` holds the files to
/// put, and `<tmp>/mine` is where the client saves what it gets.
struct Ftp {
    tmp: TempDir,
    server: Program,
    addr: SocketAddr,
}

impl Ftp {
    fn start() -> Ftp {
        let tmp = TempDir::new().unwrap();
        fs::create_dir(tmp.path().join("files")).unwrap();
        fs::create_dir(tmp.path().join("mine")).unwrap();
        let uploads = tmp.path().join("uploads");
        let (mut server, addr) = Program::server(&SERVER, &["--dir", uploads.to_str().unwrap()]);
        assert_eq!(server.line(), format!("files go to {}", uploads.display()));
        Ftp { tmp, server, addr }
    }

    fn uploads(&self) -> PathBuf {
        self.tmp.path().join("uploads")
    }

    fn mine(&self) -> PathBuf {
        self.tmp.path().join("mine")
    }

    fn files(&self) -> PathBuf {
        self.tmp.path().join("files")
    }

    /// Writes a file of `size` bytes to put and returns its path.
    fn file(&self, name: &str, size: usize) -> PathBuf {
        let path = self.files().join(name);
        fs::write(&path, bytes(size)).unwrap();
        path
    }

    /// Runs our client (saving what it gets in the client's folder) to the end of `input`.
    fn client(&self, input: &str) -> testkit::Finished {
        let mine = self.mine();
        let args = [
            "--addr",
            &self.addr.to_string(),
            "--dir",
            mine.to_str().unwrap(),
        ];
        run(&CLIENT, &args, input)
    }

    /// Proves the server still serves: a new client puts a file.
    fn still_serves(&self) {
        let file = self.file("ok.txt", 10);
        let client = self.client(&format!("put {}\n", file.display()));
        assert_eq!(client.stdout, ["put ok.txt: 10 bytes stored"]);
    }

    /// Waits until the server prints a line containing `needle`.
    fn saw(&mut self, needle: &str) -> String {
        self.server.line_containing(needle)
    }
}

/// `size` bytes of every value, in an order that no shift or cut would preserve.
fn bytes(size: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A request frame as a hostile client might send it: the header's length, then `json`.
fn frame(json: &str) -> Vec<u8> {
    [&(json.len() as i32).to_le_bytes()[..], json.as_bytes()].concat()
}

/// A put's header frame, asking for a reply.
fn put_header(name: &str, size: i64) -> Vec<u8> {
    pack_header(&Request {
        cmd: "put".into(),
        filename: name.into(),
        filesize: Some(size),
        reply: true,
    })
    .unwrap()
}

fn get_header(name: &str) -> Vec<u8> {
    pack_header(&Request {
        cmd: "get".into(),
        filename: name.into(),
        ..Request::default()
    })
    .unwrap()
}

/// The next reply on a hand-made connection.
fn reply(conn: &mut TcpStream) -> Reply {
    recv_header(conn).unwrap().expect("a reply, not the end")
}

fn error_reply(conn: &mut TcpStream) -> String {
    match reply(conn) {
        Reply::Error { error } => error,
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// Whether the server closed the connection: the next read gives 0 bytes (or a reset).
fn closed(conn: &mut TcpStream) -> bool {
    matches!(conn.read(&mut [0u8; 1]), Ok(0) | Err(_))
}

/// A get on a hand-made connection: proves the connection is still in step.
fn still_in_step(conn: &mut TcpStream) {
    conn.write_all(&get_header("no-such-file")).unwrap();
    assert_eq!(error_reply(conn), "no file \"no-such-file\"");
}

#[test]
fn a_file_goes_up_and_comes_back_the_same() {
    let mut ftp = Ftp::start();
    let original = ftp.file("a.bin", 3 << 20);
    let input = format!("put {}\nget a.bin\n", original.display());
    let client = ftp.client(&input);
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stderr, "",
        "the progress bar hides when stderr is no terminal"
    );
    assert_eq!(
        client.stdout,
        [
            "put a.bin: 3145728 bytes stored",
            "get a.bin: 3145728 bytes saved"
        ]
    );
    let sent = fs::read(&original).unwrap();
    assert!(fs::read(ftp.uploads().join("a.bin")).unwrap() == sent);
    assert!(fs::read(ftp.mine().join("a.bin")).unwrap() == sent);
    assert!(
        ftp.saw("header").ends_with(
            r#"header {"cmd":"put","filename":"a.bin","filesize":3145728,"reply":true}"#
        )
    );
    assert!(
        ftp.saw("put a.bin")
            .ends_with("put a.bin: 3145728 bytes stored")
    );
    assert!(
        ftp.saw("header")
            .ends_with(r#"header {"cmd":"get","filename":"a.bin"}"#)
    );
    assert!(
        ftp.saw("get a.bin")
            .ends_with("get a.bin: 3145728 bytes sent")
    );
    assert!(ftp.saw("ended").ends_with("ended"));
    assert_eq!(names(&ftp.uploads()), ["a.bin"], "no partial file is left");
    assert_eq!(names(&ftp.mine()), ["a.bin"]);
}

#[test]
fn the_articles_client_puts_files_here_and_reads_nothing() {
    let mut ftp = Ftp::start();
    fs::write(ftp.files().join("lines.txt"), "hello\nworld\n".repeat(1000)).unwrap();
    ftp.file("b.bin", 200_000);
    let mut client = Command::new("python3");
    client
        .arg("-u")
        .arg(peer(env!("CARGO_MANIFEST_DIR"), "client"))
        .arg(ftp.addr.to_string())
        .current_dir(ftp.files());
    let mut client = Program::spawn(client);
    client.write("put lines.txt\nput b.bin\n");
    client.line_containing("upload successful");
    client.line_containing("upload successful");
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
    ftp.saw("put lines.txt: 12000 bytes stored");
    ftp.saw("put b.bin: 200000 bytes stored");
    // It never reads: had the server sent it a reply, closing would have reset the line.
    assert!(ftp.saw("call from").ends_with("ended"));
    for name in ["lines.txt", "b.bin"] {
        assert!(
            fs::read(ftp.uploads().join(name)).unwrap()
                == fs::read(ftp.files().join(name)).unwrap()
        );
    }
}

#[test]
fn this_client_puts_files_to_the_articles_server() {
    let tmp = TempDir::new().unwrap();
    let uploads = tmp.path().join("uploads");
    fs::create_dir(&uploads).unwrap();
    let file = tmp.path().join("c.bin");
    fs::write(&file, bytes(100_000)).unwrap();
    let mut server = python(
        peer(env!("CARGO_MANIFEST_DIR"), "server"),
        &["0", uploads.to_str().unwrap()],
    );
    let addr = server.address().to_string();
    let input = format!("put {}\n", file.display());
    let client = run(&CLIENT, &["--addr", &addr, "--no-reply"], &input);
    assert!(client.success, "{}", client.stderr);
    assert_eq!(client.stdout, ["put c.bin: 100000 bytes sent"]);
    server.line_containing("stored");
    assert!(fs::read(uploads.join("c.bin")).unwrap() == fs::read(&file).unwrap());
}

#[test]
fn the_articles_server_lets_dot_dot_escape_and_this_one_does_not() {
    let tmp = TempDir::new().unwrap();
    let uploads = tmp.path().join("uploads");
    fs::create_dir(&uploads).unwrap();
    let mut article = python(
        peer(env!("CARGO_MANIFEST_DIR"), "server"),
        &["0", uploads.to_str().unwrap()],
    );
    let mut conn = connect(article.address());
    conn.write_all(&[put_header("../escaped.txt", 3), b"hi\n".to_vec()].concat())
        .unwrap();
    article.line_containing("stored");
    assert!(
        tmp.path().join("escaped.txt").exists(),
        "the article's server wrote outside"
    );

    let mut ftp = Ftp::start();
    let mut conn = connect(ftp.addr);
    conn.write_all(&[put_header("../escaped.txt", 3), b"hi\n".to_vec()].concat())
        .unwrap();
    assert_eq!(
        error_reply(&mut conn),
        r#""../escaped.txt" is not a plain file name: it contains '/'"#
    );
    assert!(ftp.saw("put refused").ends_with("; 3 bytes thrown away"));
    assert!(!ftp.tmp.path().join("escaped.txt").exists());
    still_in_step(&mut conn);
}

#[test]
fn names_that_are_not_plain_are_refused_and_the_connection_goes_on() {
    let mut ftp = Ftp::start();
    let long = "x".repeat(300);
    let cases = [
        (
            "../x",
            r#""../x" is not a plain file name: it contains '/'"#,
        ),
        (
            "/tmp/x",
            r#""/tmp/x" is not a plain file name: it contains '/'"#,
        ),
        ("a/b", r#""a/b" is not a plain file name: it contains '/'"#),
        (
            r"..\x",
            r#""..\\x" is not a plain file name: it contains '\\'"#,
        ),
        ("C:x", r#""C:x" is not a plain file name: it contains ':'"#),
        (
            "a\0b",
            r#""a\0b" is not a plain file name: it contains '\0'"#,
        ),
        (
            "a\nb",
            r#""a\nb" is not a plain file name: it contains '\n'"#,
        ),
        (".", r#""." is not a plain file name: it names a folder"#),
        ("..", r#"".." is not a plain file name: it names a folder"#),
        ("", r#""" is not a plain file name: it is empty"#),
        (&long, "a file name of 300 bytes is too long (at most 200)"),
    ];
    let mut conn = connect(ftp.addr);
    for (name, expected) in cases {
        conn.write_all(&[put_header(name, 5), b"12345".to_vec()].concat())
            .unwrap();
        assert_eq!(error_reply(&mut conn), expected, "put {name:?}");
        ftp.saw("thrown away");
        conn.write_all(&get_header(name)).unwrap();
        assert_eq!(error_reply(&mut conn), expected, "get {name:?}");
        ftp.saw("get refused");
    }
    still_in_step(&mut conn);
    assert_eq!(names(&ftp.uploads()), Vec::<String>::new());
    assert_eq!(names(ftp.tmp.path()), ["files", "mine", "uploads"]);
}

#[test]
fn bad_filesizes_get_an_error_and_the_connection_is_closed() {
    let mut ftp = Ftp::start();
    let cases = [
        (
            put_header("a", -5),
            "bad filesize -5: expected 0 to 1099511627776",
        ),
        (
            put_header("a", 1 << 50),
            "bad filesize 1125899906842624: expected 0 to 1099511627776",
        ),
        (
            frame(r#"{"cmd":"put","filename":"a"}"#),
            "a put needs a filesize",
        ),
        (
            frame(r#"{"cmd":"put","filename":"a","filesize":1.5}"#),
            r#"bad header b'{"cmd":"put","filename":"a","filesize":1.5}': invalid type"#,
        ),
    ];
    for (header, expected) in cases {
        let mut conn = connect(ftp.addr);
        conn.write_all(&header).unwrap();
        let error = error_reply(&mut conn);
        assert!(error.starts_with(expected), "{error}");
        assert!(closed(&mut conn), "{expected}: still open");
        assert!(ftp.saw("ended").contains(&format!("ended: {expected}")));
    }
    assert_eq!(names(&ftp.uploads()), Vec::<String>::new());
    ftp.still_serves();
}

#[test]
fn a_short_upload_never_leaves_a_file_that_looks_complete() {
    let mut ftp = Ftp::start();
    for hang_up in [drop as fn(TcpStream), reset] {
        let mut conn = connect(ftp.addr);
        conn.write_all(&put_header("big.bin", 1 << 20)).unwrap();
        conn.write_all(&bytes(100_000)).unwrap();
        // While the bytes trickle in they sit in a partial file, named for what it is.
        let uploads = ftp.uploads();
        testkit::wait_until("the partial file holds 100000 bytes", || {
            names(&uploads).iter().any(|name| {
                name.starts_with(".big.bin.")
                    && name.ends_with(".part")
                    && fs::metadata(uploads.join(name)).unwrap().len() == 100_000
            })
        });
        assert!(!uploads.join("big.bin").exists());
        hang_up(conn);
        let ended = ftp.saw("ended");
        assert!(
            ended.ends_with("ended: the connection ended after 100000 of 1048576 bytes")
                || ended.ends_with("ended: Connection reset by peer (os error 104)"),
            "{ended}"
        );
        assert_eq!(names(&uploads), Vec::<String>::new(), "the partial is gone");
    }
    // A lying header that claims less than what follows: the rest is taken for a header.
    let mut conn = connect(ftp.addr);
    conn.write_all(&[put_header("short.txt", 3), b"abcdefgh".to_vec()].concat())
        .unwrap();
    assert_eq!(reply(&mut conn), Reply::Ok { filesize: 3 });
    // "defg" read as a length is 1734763876: a bad header, so the server hangs up.
    assert!(error_reply(&mut conn).starts_with("bad header length 1734763876"));
    assert!(closed(&mut conn));
    assert_eq!(fs::read(ftp.uploads().join("short.txt")).unwrap(), b"abc");
}

#[test]
fn a_cut_or_bad_header_ends_that_connection_only() {
    let mut ftp = Ftp::start();
    let cases: [(Vec<u8>, &str); 10] = [
        (
            vec![15, 0],
            "the frame was cut off in the header length after 2 of 4 bytes",
        ),
        (
            [&50i32.to_le_bytes()[..], b"{\"cmd\""].concat(),
            "the frame was cut off in the 50-byte header",
        ),
        (
            (-1i32).to_le_bytes().to_vec(),
            "bad header length -1: expected 1 to 65536",
        ),
        (frame("hello"), "bad header b'hello': expected value"),
        (
            frame(r#"{"filename":"a"}"#),
            "bad header b'{\"filename\":\"a\"}': missing field `cmd`",
        ),
        // JSON, but not an object: `null` is not a hang-up, and a list is not a request.
        (frame("null"), "bad header b'null': expected a JSON object"),
        (
            frame(r#"["get","a.txt"]"#),
            "bad header b'[\"get\",\"a.txt\"]': expected a JSON object",
        ),
        (
            frame(r#""put""#),
            "bad header b'\"put\"': expected a JSON object",
        ),
        (frame("7"), "bad header b'7': expected a JSON object"),
        (
            frame(r#"{"cmd":null}"#),
            "bad header b'{\"cmd\":null}': invalid type: null",
        ),
    ];
    for (bytes, expected) in cases {
        let mut conn = connect(ftp.addr);
        conn.write_all(&bytes).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let ended = ftp.saw("ended");
        assert!(ended.contains(&format!("ended: {expected}")), "{ended}");
        if expected.starts_with("bad") {
            assert!(error_reply(&mut conn).starts_with(expected));
        }
        assert!(closed(&mut conn));
    }
    ftp.still_serves();
}

#[test]
fn unknown_commands_get_an_error_and_the_connection_goes_on() {
    let mut ftp = Ftp::start();
    let mut conn = connect(ftp.addr);
    conn.write_all(&frame(r#"{"cmd":"ls"}"#)).unwrap();
    assert_eq!(
        error_reply(&mut conn),
        r#"unknown command "ls": this server knows put and get"#
    );
    conn.write_all(&frame(r#"{"cmd":"delete","filename":"x"}"#))
        .unwrap();
    assert_eq!(
        error_reply(&mut conn),
        r#"unknown command "delete": this server knows put and get"#
    );
    still_in_step(&mut conn);
    ftp.saw(r#"unknown command "delete""#);
}

#[test]
fn a_folder_in_the_way_refuses_the_put_and_the_connection_goes_on() {
    let mut ftp = Ftp::start();
    fs::create_dir(ftp.uploads().join("sub")).unwrap();
    let mut conn = connect(ftp.addr);
    conn.write_all(&[put_header("sub", 4), b"data".to_vec()].concat())
        .unwrap();
    assert!(matches!(reply(&mut conn), Reply::Error { .. }));
    ftp.saw("put refused");
    conn.write_all(&get_header("sub")).unwrap();
    assert_eq!(error_reply(&mut conn), r#""sub" is not a file"#);
    still_in_step(&mut conn);
    assert_eq!(names(&ftp.uploads()), ["sub"]);
}

#[test]
fn the_clients_mistakes_are_one_line_each_and_it_goes_on() {
    let ftp = Ftp::start();
    let file = ftp.file("ok.txt", 10);
    let input = format!(
        "put {missing}\nput {dir}\nget ../x\nget missing.txt\nls\nput\nget\n\nput {file}\nquit\nput {file}\n",
        missing = ftp.files().join("missing.txt").display(),
        dir = ftp.files().display(),
        file = file.display(),
    );
    let client = ftp.client(&input);
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            format!(
                "put {}: cannot open it: No such file or directory (os error 2)",
                ftp.files().join("missing.txt").display()
            ),
            format!("put {}: not a file", ftp.files().display()),
            r#"get ../x: "../x" is not a plain file name: it contains '/'"#.to_owned(),
            r#"get missing.txt: refused by the server: no file "missing.txt""#.to_owned(),
            r#"unknown command "ls": try put FILE, get NAME or quit"#.to_owned(),
            "usage: put FILE".to_owned(),
            "usage: get NAME".to_owned(),
            "put ok.txt: 10 bytes stored".to_owned(),
        ]
    );
}

#[test]
fn one_client_at_a_time() {
    let mut ftp = Ftp::start();
    // The first client connects and says nothing.
    let first = connect(ftp.addr);
    ftp.saw("call from");
    // The second one's put goes into the kernel's buffers, and waits.
    let file = ftp.file("second.txt", 1000);
    let mine = ftp.mine();
    let args = [
        "--addr",
        &ftp.addr.to_string(),
        "--dir",
        mine.to_str().unwrap(),
    ];
    let mut second = Program::start(&CLIENT, &args);
    second.write(&format!("put {}\n", file.display()));
    assert_eq!(
        second.line_within(QUIET),
        None,
        "served while the first is connected"
    );
    assert_eq!(ftp.server.line_within(Duration::ZERO), None);
    // The first hangs up: now the second is served.
    drop(first);
    assert_eq!(second.line(), "put second.txt: 1000 bytes stored");
    ftp.saw("ended");
    ftp.saw("put second.txt: 1000 bytes stored");
}

/// A fake server that answers one get with `answer`, then hangs up; runs our client with
/// `get x.txt` against it, saving into a fresh folder. Returns the client and that folder.
fn get_from_fake(answer: Vec<u8>) -> (testkit::Finished, TempDir) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _: Option<Request> = recv_header(&mut conn).unwrap();
        let _ = conn.write_all(&answer);
    });
    let dir = TempDir::new().unwrap();
    let args = ["--addr", &addr, "--dir", dir.path().to_str().unwrap()];
    (run(&CLIENT, &args, "get x.txt\n"), dir)
}

#[test]
fn the_client_saves_under_the_name_it_asked_for() {
    let answer = [
        frame(r#"{"status":"ok","filesize":3,"filename":"../evil"}"#),
        b"abc".to_vec(),
    ]
    .concat();
    let (client, dir) = get_from_fake(answer);
    assert_eq!(client.stdout, ["get x.txt: 3 bytes saved"]);
    assert_eq!(names(dir.path()), ["x.txt"]);
    assert_eq!(fs::read(dir.path().join("x.txt")).unwrap(), b"abc");
    assert!(!dir.path().parent().unwrap().join("evil").exists());
}

#[test]
fn hostile_replies_are_one_clear_error_and_leave_no_file() {
    let cases = [
        (
            frame(r#"{"status":"ok","filesize":99999999999999}"#),
            "Error: get x.txt: the server offers 99999999999999 bytes, more than the 1099511627776 we accept",
        ),
        (
            frame(r#"{"status":"ok","filesize":-3}"#),
            r#"Error: bad header b'{"status":"ok","filesize":-3}': invalid value"#,
        ),
        (
            [frame(r#"{"status":"ok","filesize":10}"#), b"ab".to_vec()].concat(),
            "Error: get x.txt: the connection ended after 2 of 10 bytes",
        ),
        (
            frame(r#"{"status":"maybe"}"#),
            r#"Error: bad header b'{"status":"maybe"}': unknown variant"#,
        ),
        (Vec::new(), "Error: the server hung up"),
    ];
    for (answer, expected) in cases {
        let (client, dir) = get_from_fake(answer);
        assert!(!client.success);
        assert!(client.stderr.starts_with(expected), "{}", client.stderr);
        assert_eq!(client.stderr.lines().count(), 1, "{}", client.stderr);
        assert_eq!(names(dir.path()), Vec::<String>::new(), "{expected}");
    }
}

#[test]
fn a_bad_folder_is_one_clear_error() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    let mut server = Program::start(
        &SERVER,
        &["--addr", "127.0.0.1:0", "--dir", file.to_str().unwrap()],
    );
    assert!(!server.wait().success());
    assert_eq!(
        server.stderr(),
        format!(
            "Error: cannot create the folder {}: File exists (os error 17)\n",
            file.display()
        )
    );
}

#[cfg(unix)]
#[test]
fn get_sends_plain_files_only_and_refuses_links_and_fifos_at_once() {
    use std::os::unix::fs::symlink;
    let mut ftp = Ftp::start();
    let uploads = ftp.uploads();
    // Planted by someone with access to the folder: links out of it (to a file, to a folder,
    // to nothing), a link inside it, and a FIFO, whose open would wait for a writer for ever.
    let secret = ftp.tmp.path().join("secret.txt");
    fs::write(&secret, "outside the folder").unwrap();
    fs::write(uploads.join("plain.txt"), "inside").unwrap();
    symlink(&secret, uploads.join("out.txt")).unwrap();
    symlink(ftp.tmp.path(), uploads.join("out-dir")).unwrap();
    symlink("/nowhere", uploads.join("dangling")).unwrap();
    symlink("plain.txt", uploads.join("in.txt")).unwrap();
    let made = Command::new("mkfifo")
        .arg(uploads.join("fifo"))
        .status()
        .unwrap();
    assert!(made.success());

    // Each is refused at once (a read waits PATIENCE at most), and the connection goes on.
    let mut conn = connect(ftp.addr);
    for (name, expected) in [
        ("out.txt", r#""out.txt" is a symbolic link, not a file"#),
        ("out-dir", r#""out-dir" is a symbolic link, not a file"#),
        ("dangling", r#""dangling" is a symbolic link, not a file"#),
        ("in.txt", r#""in.txt" is a symbolic link, not a file"#),
        ("fifo", r#""fifo" is not a file"#),
    ] {
        conn.write_all(&get_header(name)).unwrap();
        assert_eq!(error_reply(&mut conn), expected);
        ftp.saw(&format!("get refused: {expected}"));
    }
    conn.write_all(&get_header("plain.txt")).unwrap();
    assert_eq!(reply(&mut conn), Reply::Ok { filesize: 6 });
    let mut data = [0u8; 6];
    conn.read_exact(&mut data).unwrap();
    assert_eq!(&data, b"inside");
    drop(conn);
    ftp.saw("ended");

    // Our client says so in one line, and the server serves the next client.
    let client = ftp.client("get out.txt\nget fifo\n");
    assert_eq!(
        client.stdout,
        [
            r#"get out.txt: refused by the server: "out.txt" is a symbolic link, not a file"#,
            r#"get fifo: refused by the server: "fifo" is not a file"#,
        ]
    );
    assert_eq!(names(&ftp.mine()), Vec::<String>::new(), "nothing saved");
    ftp.still_serves();
}

#[test]
fn calls_that_break_before_they_are_picked_up_end_only_themselves() {
    let mut ftp = Ftp::start();
    // A first client holds the server, so the next calls wait in the listen queue...
    let first = connect(ftp.addr);
    ftp.saw("call from");
    // ...where they break: reset at once, reset in the middle of a put, closed mid-header.
    let queued = connect(ftp.addr);
    let mut mid_put = connect(ftp.addr);
    mid_put.write_all(&put_header("never.bin", 1000)).unwrap();
    mid_put.write_all(&[1; 10]).unwrap();
    let mut mid_header = connect(ftp.addr);
    mid_header.write_all(&[9, 0]).unwrap();
    reset(queued);
    reset(mid_put);
    drop(mid_header);
    drop(first);
    // The server picks each up in turn; each one's error ends its own call.
    for _ in 0..4 {
        assert!(ftp.saw("ended").starts_with("call from "));
    }
    ftp.still_serves();
    assert_eq!(names(&ftp.uploads()), ["ok.txt"], "no partial file is left");
}

/// Times one command of a running client, from typing it to the line it prints.
fn timed(client: &mut Program, command: &str) -> (String, Duration) {
    let started = std::time::Instant::now();
    client.write(command);
    let line = client.line();
    (line, started.elapsed())
}

#[test]
fn limit_rate_keeps_each_transfer_to_its_rate_at_either_end() {
    const SIZE: usize = 256 * 1024;
    // 1 MiB/s: a 256 KiB file takes a quarter of a second at least.
    let least = Duration::from_secs_f64(SIZE as f64 / (1 << 20) as f64);

    // The client limits its own put and get.
    let ftp = Ftp::start();
    let file = ftp.file("slow.bin", SIZE);
    let mine = ftp.mine();
    let addr = ftp.addr.to_string();
    let args = ["--addr", &addr, "--dir", mine.to_str().unwrap()];
    let mut client = Program::start(&CLIENT, &[&args[..], &["--limit-rate", "1M"]].concat());
    let (line, took) = timed(&mut client, &format!("put {}\n", file.display()));
    assert_eq!(line, "put slow.bin: 262144 bytes stored");
    assert!(took >= least, "put took {took:?}");
    fs::remove_file(file).unwrap();
    let (line, took) = timed(&mut client, "get slow.bin\n");
    assert_eq!(line, "get slow.bin: 262144 bytes saved");
    assert!(took >= least, "get took {took:?}");
    assert!(fs::read(mine.join("slow.bin")).unwrap() == bytes(SIZE));
    drop(client);

    // The server limits every transfer it serves.
    let tmp = TempDir::new().unwrap();
    let uploads = tmp.path().join("uploads");
    let dir = uploads.to_str().unwrap();
    let (_server, addr) = Program::server(&SERVER, &["--dir", dir, "--limit-rate", "1M"]);
    let file = tmp.path().join("slow.bin");
    fs::write(&file, bytes(SIZE)).unwrap();
    let mine = tmp.path().join("mine");
    let addr = addr.to_string();
    let mut client = Program::start(&CLIENT, &["--addr", &addr, "--dir", mine.to_str().unwrap()]);
    let (line, took) = timed(&mut client, &format!("put {}\n", file.display()));
    assert_eq!(line, "put slow.bin: 262144 bytes stored");
    assert!(took >= least, "put took {took:?}");
    let (line, took) = timed(&mut client, "get slow.bin\n");
    assert_eq!(line, "get slow.bin: 262144 bytes saved");
    assert!(took >= least, "get took {took:?}");
    assert!(fs::read(mine.join("slow.bin")).unwrap() == bytes(SIZE));
}

#[test]
fn a_bad_rate_is_one_clear_error() {
    for (bin, rate) in [(&SERVER, "0"), (&CLIENT, "fast")] {
        let bad = run(bin, &["--addr", "127.0.0.1:0", "--limit-rate", rate], "");
        assert!(!bad.success);
        assert!(
            bad.stderr
                .contains(&format!("invalid value '{rate}' for '--limit-rate <RATE>'")),
            "{}",
            bad.stderr
        );
    }
}
