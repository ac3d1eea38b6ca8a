//! What a student should see in 十四: the FTP of 十二 served a thread per client. A silent
//! client blocks nobody; twenty uploads at once all arrive intact beside a stalled one; a burst
//! of 200 connections is served; a hostile client ends only its own connection; and the
//! article's programs take part at either end.

use std::fs;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request};
use tempfile::TempDir;
use testkit::{Bin, Program, connect, peer, python, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

/// A server on a free port storing into `<tmp>/uploads`; `<tmp>/files` holds files to put.
struct Ftp {
    tmp: TempDir,
    server: Program,
    addr: SocketAddr,
}

impl Ftp {
    fn start() -> Ftp {
        let tmp = TempDir::new().unwrap();
        fs::create_dir(tmp.path().join("files")).unwrap();
        let uploads = tmp.path().join("uploads");
        let (mut server, addr) = Program::server(&SERVER, &["--dir", uploads.to_str().unwrap()]);
        assert_eq!(server.line(), format!("files go to {}", uploads.display()));
        Ftp { tmp, server, addr }
    }

    fn uploads(&self) -> PathBuf {
        self.tmp.path().join("uploads")
    }

    /// Writes a file of `size` bytes (different for each `seed`) to put; returns its path.
    fn file(&self, name: &str, size: usize, seed: u32) -> PathBuf {
        let path = self.tmp.path().join("files").join(name);
        fs::write(&path, bytes(size, seed)).unwrap();
        path
    }

    /// Starts our client, saving what it gets in `<tmp>/NAME`.
    fn client(&self, name: &str) -> Program {
        let dir = self.tmp.path().join(name);
        let args = [
            "--addr",
            &self.addr.to_string(),
            "--dir",
            dir.to_str().unwrap(),
        ];
        Program::start(&CLIENT, &args)
    }
}

/// `size` bytes of every value, different for each seed.
fn bytes(size: usize, seed: u32) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ seed.wrapping_mul(0x85eb_ca6b);
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn get_header(name: &str) -> Vec<u8> {
    pack_header(&Request {
        cmd: "get".into(),
        filename: name.into(),
        ..Request::default()
    })
    .unwrap()
}

#[test]
fn a_silent_client_blocks_nobody() {
    let mut ftp = Ftp::start();
    // The first client connects and says nothing: in ch12b, everyone would wait for it.
    let _silent = connect(ftp.addr);
    ftp.server.line_containing("call from");
    let file = ftp.file("second.txt", 1000, 0);
    let mut second = ftp.client("mine");
    second.write(&format!("put {}\nget second.txt\n", file.display()));
    assert_eq!(second.line(), "put second.txt: 1000 bytes stored");
    assert_eq!(second.line(), "get second.txt: 1000 bytes saved");
    second.write("quit\n");
    assert!(second.wait().success());
    ftp.server.line_containing("ended");
    assert!(fs::read(ftp.uploads().join("second.txt")).unwrap() == fs::read(&file).unwrap());
}

#[test]
fn twenty_uploads_at_once_beside_a_stalled_client_all_arrive_intact() {
    let mut ftp = Ftp::start();
    // Connected, half a header sent, then silent: its thread waits for the other half.
    let mut stalled = connect(ftp.addr);
    stalled.write_all(&[40, 0]).unwrap();
    ftp.server.line_containing("call from");

    let files: Vec<PathBuf> = (0..20)
        .map(|i| ftp.file(&format!("f{i}.bin"), 100_000 + 37_000 * i, i as u32))
        .collect();
    let mut clients: Vec<Program> = (0..20).map(|i| ftp.client(&format!("mine{i}"))).collect();
    for (client, file) in clients.iter_mut().zip(&files) {
        client.write(&format!("put {}\n", file.display()));
    }
    for (i, (client, file)) in clients.iter_mut().zip(&files).enumerate() {
        let size = fs::metadata(file).unwrap().len();
        assert_eq!(client.line(), format!("put f{i}.bin: {size} bytes stored"));
        client.write(&format!("get f{i}.bin\nquit\n"));
        assert_eq!(client.line(), format!("get f{i}.bin: {size} bytes saved"));
        assert!(client.wait().success(), "{}", client.stderr());
        let sent = fs::read(file).unwrap();
        assert!(fs::read(ftp.uploads().join(format!("f{i}.bin"))).unwrap() == sent);
        let got = ftp.tmp.path().join(format!("mine{i}/f{i}.bin"));
        assert!(fs::read(got).unwrap() == sent);
    }
    // No partial file is left; the stalled client was waited for all along, in its own thread.
    assert_eq!(fs::read_dir(ftp.uploads()).unwrap().count(), 20);
    drop(stalled);
    let ended = ftp.server.line_containing("ended: ");
    assert!(
        ended.ends_with("the frame was cut off in the header length after 2 of 4 bytes"),
        "{ended}"
    );
}

#[test]
fn a_burst_of_200_connections_is_served() {
    let ftp = Ftp::start();
    fs::write(ftp.uploads().join("small.txt"), bytes(1000, 7)).unwrap();
    let addr = ftp.addr;
    let start = Arc::new(Barrier::new(200));
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                // All at once: 200 handshakes wait in the listen queue for accept().
                let mut conn = connect(addr);
                conn.write_all(&get_header("small.txt")).unwrap();
                let reply: Reply = recv_header(&mut conn).unwrap().unwrap();
                assert_eq!(reply, Reply::Ok { filesize: 1000 });
                let mut data = vec![0u8; 1000];
                conn.read_exact(&mut data).unwrap();
                assert!(data == bytes(1000, 7));
            })
        })
        .collect();
    // Each read waits PATIENCE at most: a stalled handshake would fail the test, not hang it.
    for client in clients {
        client.join().unwrap();
    }
}

#[test]
fn a_hostile_client_ends_only_its_own_connection() {
    let mut ftp = Ftp::start();
    // One client is in the middle of an upload...
    let file = ftp.file("big.bin", 2_000_000, 3);
    let mut busy = connect(ftp.addr);
    let size = 2_000_000;
    let header = pack_header(&Request {
        cmd: "put".into(),
        filename: "big.bin".into(),
        filesize: Some(size),
        reply: true,
    })
    .unwrap();
    let data = fs::read(&file).unwrap();
    busy.write_all(&header).unwrap();
    busy.write_all(&data[..1_000_000]).unwrap();
    // ...when another sends a header length of -1, and a third an unknown command.
    let mut hostile = connect(ftp.addr);
    hostile.write_all(&(-1i32).to_le_bytes()).unwrap();
    let error: Reply = recv_header(&mut hostile).unwrap().unwrap();
    assert_eq!(
        error,
        Reply::Error {
            error: "bad header length -1: expected 1 to 65536".into()
        }
    );
    ftp.server.line_containing("bad header length -1");
    let mut unknown = connect(ftp.addr);
    unknown
        .write_all(
            &pack_header(&Request {
                cmd: "__init__".into(),
                ..Request::default()
            })
            .unwrap(),
        )
        .unwrap();
    let error: Reply = recv_header(&mut unknown).unwrap().unwrap();
    assert!(matches!(error, Reply::Error { .. }));
    // A fourth sends a header that is JSON `null`: an error, not a hang-up.
    let mut null = connect(ftp.addr);
    null.write_all(&[&4i32.to_le_bytes()[..], b"null"].concat())
        .unwrap();
    let error: Reply = recv_header(&mut null).unwrap().unwrap();
    assert_eq!(
        error,
        Reply::Error {
            error: "bad header b'null': expected a JSON object".into()
        }
    );
    ftp.server
        .line_containing("ended: bad header b'null': expected a JSON object");
    // The upload goes on undisturbed.
    busy.write_all(&data[1_000_000..]).unwrap();
    let stored: Reply = recv_header(&mut busy).unwrap().unwrap();
    assert_eq!(
        stored,
        Reply::Ok {
            filesize: 2_000_000
        }
    );
    assert!(fs::read(ftp.uploads().join("big.bin")).unwrap() == data);
}

#[test]
fn the_articles_client_puts_files_here() {
    let mut ftp = Ftp::start();
    let files = ftp.tmp.path().join("files");
    fs::write(files.join("lines.txt"), "hello\nworld\n".repeat(1000)).unwrap();
    let ch12b = concat!(env!("CARGO_MANIFEST_DIR"), "/../ch12b-ftp");
    let mut client = Command::new("python3");
    client
        .arg("-u")
        .arg(peer(ch12b, "client"))
        .arg(ftp.addr.to_string())
        .current_dir(&files);
    let mut client = Program::spawn(client);
    client.write("put lines.txt\n");
    client.line_containing("upload successful");
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
    ftp.server
        .line_containing("put lines.txt: 12000 bytes stored");
    assert!(ftp.server.line_containing("call from").ends_with("ended"));
    assert!(
        fs::read(ftp.uploads().join("lines.txt")).unwrap()
            == fs::read(files.join("lines.txt")).unwrap()
    );
}

#[test]
fn this_client_puts_to_the_articles_threaded_server_which_stumbles_when_it_hangs_up() {
    let tmp = TempDir::new().unwrap();
    let uploads = tmp.path().join("uploads");
    fs::create_dir(&uploads).unwrap();
    let file = tmp.path().join("c.bin");
    fs::write(&file, bytes(50_000, 1)).unwrap();
    let mut server = python(
        peer(env!("CARGO_MANIFEST_DIR"), "server"),
        &["0", uploads.to_str().unwrap()],
    );
    let addr = server.address().to_string();
    let input = format!("put {}\n", file.display());
    let client = run(&CLIENT, &["--addr", &addr, "--no-reply"], &input);
    assert!(client.success, "{}", client.stderr);
    assert_eq!(client.stdout, ["put c.bin: 50000 bytes sent"]);
    server.line_containing("stored");
    assert!(fs::read(uploads.join("c.bin")).unwrap() == fs::read(&file).unwrap());
    // The article's handle() has no `if not data: break`: the client's hang-up is b'', and
    // struct.unpack('i', b'') raises. socketserver prints the traceback and goes on.
    testkit::wait_until("a struct.error traceback", || {
        server
            .stderr()
            .contains("struct.error: unpack requires a buffer of 4 bytes")
    });
    assert!(
        server
            .stderr()
            .contains("Exception occurred during processing of request from")
    );
}

#[cfg(unix)]
#[test]
fn get_refuses_planted_links_and_fifos_at_once_and_serves_the_rest() {
    let ftp = Ftp::start();
    let uploads = ftp.uploads();
    let secret = ftp.tmp.path().join("secret.txt");
    fs::write(&secret, "outside the folder").unwrap();
    std::os::unix::fs::symlink(&secret, uploads.join("out.txt")).unwrap();
    let made = Command::new("mkfifo")
        .arg(uploads.join("fifo"))
        .status()
        .unwrap();
    assert!(made.success());
    // A connection stuck on the FIFO would hold its thread for ever; each read here waits
    // PATIENCE at most.
    let mut client = ftp.client("mine");
    client.write("get out.txt\nget fifo\nquit\n");
    assert_eq!(
        client.line(),
        r#"get out.txt: refused by the server: "out.txt" is a symbolic link, not a file"#
    );
    assert_eq!(
        client.line(),
        r#"get fifo: refused by the server: "fifo" is not a file"#
    );
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(!ftp.tmp.path().join("mine/out.txt").exists());
}

#[test]
fn limit_rate_keeps_each_transfer_to_its_rate_at_either_end() {
    const SIZE: usize = 128 * 1024;
    // At 512 KiB/s, a 128 KiB file takes a quarter of a second at least.
    let least = Duration::from_millis(250);
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("slow.bin");
    fs::write(&file, bytes(SIZE, 5)).unwrap();
    // First the server limits its side, then the client does, against a server that does not.
    for (server_rate, client_rate) in [
        (&["--limit-rate", "512K"][..], &[][..]),
        (&[], &["--limit-rate", "512K"]),
    ] {
        let uploads = tmp.path().join(format!("uploads{}", server_rate.len()));
        let dir = uploads.to_str().unwrap();
        let (_server, addr) = Program::server(&SERVER, &[&["--dir", dir], server_rate].concat());
        let mine = tmp.path().join(format!("mine{}", client_rate.len()));
        let addr = addr.to_string();
        let args = [
            &["--addr", &addr, "--dir", mine.to_str().unwrap()],
            client_rate,
        ]
        .concat();
        let mut client = Program::start(&CLIENT, &args);
        let started = Instant::now();
        client.write(&format!("put {}\n", file.display()));
        assert_eq!(client.line(), "put slow.bin: 131072 bytes stored");
        assert!(
            started.elapsed() >= least,
            "put took {:?}",
            started.elapsed()
        );
        let started = Instant::now();
        client.write("get slow.bin\n");
        assert_eq!(client.line(), "get slow.bin: 131072 bytes saved");
        assert!(
            started.elapsed() >= least,
            "get took {:?}",
            started.elapsed()
        );
        assert!(fs::read(mine.join("slow.bin")).unwrap() == bytes(SIZE, 5));
    }
}
