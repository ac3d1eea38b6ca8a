//! What the homework's tests share: a server folder with users, the real server and client,
//! and a proxy that lets a transfer through only so far (to interrupt it on purpose).
#![allow(dead_code)] // each test file uses its own part of this

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use tempfile::TempDir;
use testkit::{Bin, Finished, Program, run_command};

pub static SERVER: Bin = testkit::bin!("server");
pub static CLIENT: Bin = testkit::bin!("client");

/// A server folder, a place for each user's local files, and the users in it.
pub struct Site {
    pub tmp: TempDir,
}

impl Site {
    /// A site with these users, each with the password `<name>-password` and a quota.
    pub fn new(users: &[(&str, &str)]) -> Site {
        let site = Site {
            tmp: tempfile::tempdir().unwrap(),
        };
        for (name, quota) in users {
            site.admin(&["useradd", name, "--quota", quota], &password(name));
            std::fs::create_dir_all(site.local(name)).unwrap();
        }
        site
    }

    /// The server's folder.
    pub fn root(&self) -> PathBuf {
        self.tmp.path().join("root")
    }

    /// A user's home on the server.
    pub fn home(&self, user: &str) -> PathBuf {
        self.root().join("home").join(user)
    }

    /// The folder a user's client runs in (their local files).
    pub fn local(&self, user: &str) -> PathBuf {
        self.tmp.path().join("local").join(user)
    }

    /// Runs `server SUBCOMMAND...` with SOCKET_LESSONS_PASSWORD set.
    pub fn admin(&self, args: &[&str], password: &str) -> Finished {
        let done = self.try_admin(args, password);
        assert!(done.success, "server {args:?}: {}", done.stderr);
        done
    }

    /// Runs `server SUBCOMMAND...` with SOCKET_LESSONS_PASSWORD set, which may fail.
    pub fn try_admin(&self, args: &[&str], password: &str) -> Finished {
        let mut command = Command::new(&SERVER);
        command
            .args(args)
            .arg("--dir")
            .arg(self.root())
            .env("SOCKET_LESSONS_PASSWORD", password);
        run_command(command, "")
    }

    /// Starts the server on a free port.
    pub fn start(&self, extra: &[&str]) -> (Program, SocketAddr) {
        self.start_on("127.0.0.1:0", extra)
    }

    /// Starts the server on `addr` (to restart it where it was).
    pub fn start_on(&self, addr: &str, extra: &[&str]) -> (Program, SocketAddr) {
        let mut command = Command::new(&SERVER);
        command.args(self.server_args(addr)).args(extra);
        Program::spawn_server(command)
    }

    /// The arguments that start the server on `addr` with this site's folder.
    pub fn server_args(&self, addr: &str) -> Vec<String> {
        let root = self.root().to_string_lossy().into_owned();
        ["--addr", addr, "--dir", &root].map(String::from).to_vec()
    }

    /// The client command for `user` (with their password), in their local folder.
    pub fn client_command(&self, addr: SocketAddr, user: &str, password: &str) -> Command {
        let mut command = Command::new(&CLIENT);
        command
            .args(["--addr", &addr.to_string(), "--user", user])
            .current_dir(self.local(user))
            .env("SOCKET_LESSONS_PASSWORD", password);
        command
    }

    /// Runs `user`'s client to the end with `script` as its commands.
    pub fn client(&self, addr: SocketAddr, user: &str, script: &str) -> Finished {
        run_command(self.client_command(addr, user, &password(user)), script)
    }

    /// Starts `user`'s client, to type commands at it one by one.
    pub fn session(&self, addr: SocketAddr, user: &str) -> Program {
        let mut client = Program::spawn(self.client_command(addr, user, &password(user)));
        assert_eq!(client.line(), format!("logged in as {user}, in /"));
        client
    }

    /// Writes a local file of `size` bytes (not all the same) for `user`.
    pub fn file(&self, user: &str, name: &str, size: usize) -> PathBuf {
        let path = self.local(user).join(name);
        let bytes: Vec<u8> = (0..size).map(|i| (i * 7 + i / 251) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

pub fn password(user: &str) -> String {
    format!("{user}-password")
}

pub fn md5_of(path: &Path) -> String {
    ch15_ftp_homework::remote::md5_of(path).unwrap()
}

/// A proxy to `target` that passes on at most `limit` bytes in one direction (client to
/// server if `upload`, else server to client), then drops the rest: the transfer stalls
/// there, as if the network had stopped. The receiver fires when the limit is reached, so the
/// test can kill the client at a known point. Returns the proxy's address.
pub fn stall_after(target: SocketAddr, limit: usize, upload: bool) -> (SocketAddr, Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stalled, stall) = mpsc::channel();
    thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let server = TcpStream::connect(target).unwrap();
        let (up, down) = if upload {
            (limit, usize::MAX)
        } else {
            (usize::MAX, limit)
        };
        pump(
            client.try_clone().unwrap(),
            server.try_clone().unwrap(),
            up,
            stalled.clone(),
        );
        pump(server, client, down, stalled);
    });
    (addr, stall)
}

/// Copies from `from` to `to`, at most `limit` bytes; after that it says so on `stalled` and
/// throws away whatever else comes. Closes `to` when `from` ends.
fn pump(mut from: TcpStream, mut to: TcpStream, limit: usize, stalled: Sender<()>) {
    thread::spawn(move || {
        let mut left = limit;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let pass = n.min(left);
            if pass > 0 && to.write_all(&buf[..pass]).is_err() {
                break;
            }
            if left > 0 && pass == left {
                let _ = stalled.send(());
            }
            left -= pass;
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// Logs in by hand over a raw connection, as a client would.
pub fn login(conn: &mut std::net::TcpStream, user: &str) {
    use ch15_ftp_homework::auth;
    use ch15_ftp_homework::proto::{self, Reply, Request, Status};
    proto::send(conn, &Request::Login { user: user.into() }).unwrap();
    let reply: Reply = proto::recv(conn).unwrap().unwrap();
    let salt = hex::decode(reply.salt.unwrap()).unwrap();
    let challenge = auth::from_hex(&reply.challenge.unwrap()).unwrap();
    let salted = auth::salted_password(&password(user), &salt, reply.kdf.unwrap()).unwrap();
    let proof = auth::proof(&auth::client_key(&salted), user, &challenge);
    proto::send(
        conn,
        &Request::Auth {
            proof: hex::encode(proof),
        },
    )
    .unwrap();
    let reply: Reply = proto::recv(conn).unwrap().unwrap();
    assert_eq!(reply.status, Status::Ok);
}

/// Both steps of a login with a made-up proof (hex): returns the server's answer to it.
pub fn try_proof(
    conn: &mut std::net::TcpStream,
    user: &str,
    proof: &str,
) -> ch15_ftp_homework::proto::Reply {
    use ch15_ftp_homework::proto::{self, Reply, Request};
    proto::send(conn, &Request::Login { user: user.into() }).unwrap();
    let _challenge: Reply = proto::recv(conn).unwrap().unwrap();
    proto::send(
        conn,
        &Request::Auth {
            proof: proof.into(),
        },
    )
    .unwrap();
    proto::recv(conn).unwrap().unwrap()
}

/// Runs `COMMAND big.bin` (put or get) for alice, checks it finished the 20 MB file `original`
/// with its md5 verified and resumed an interrupted transfer, and returns where it resumed.
pub fn resume(site: &Site, addr: SocketAddr, command: &str, original: &Path) -> u64 {
    let done = site.client(addr, "alice", &format!("{command} big.bin\n"));
    assert!(done.success, "{:?}", done);
    let md5 = md5_of(original);
    let line = &done.stdout[1];
    let expected =
        format!("{command} big.bin -> big.bin: 20000000 bytes, md5 {md5} verified, resumed at ");
    let at = line
        .strip_prefix(&expected)
        .unwrap_or_else(|| panic!("{line}"));
    at.parse().unwrap()
}

/// A raw connection to `addr`, logged in as `user`.
pub fn logged_in(addr: SocketAddr, user: &str) -> TcpStream {
    let mut conn = testkit::connect(addr);
    login(&mut conn, user);
    conn
}

/// Sends a request and returns the reply (for requests that get one frame).
pub fn call(
    conn: &mut TcpStream,
    request: &ch15_ftp_homework::proto::Request,
) -> ch15_ftp_homework::proto::Reply {
    ch15_ftp_homework::proto::send(conn, request).unwrap();
    ch15_ftp_homework::proto::recv(conn)
        .unwrap()
        .expect("a reply")
}

/// Uploads `bytes` as `path` over a raw connection; returns the final reply (or the refusal).
pub fn put(conn: &mut TcpStream, path: &str, bytes: &[u8]) -> ch15_ftp_homework::proto::Reply {
    use ch15_ftp_homework::proto::{self, Request, Status, Trailer};
    use md5::Digest;
    let request = Request::Put {
        path: path.into(),
        size: bytes.len() as u64,
    };
    let reply = call(conn, &request);
    if reply.status == Status::Error {
        return reply;
    }
    let offset = reply.offset.unwrap() as usize;
    conn.write_all(&bytes[offset..]).unwrap();
    let md5 = hex::encode(md5::Md5::digest(bytes));
    proto::send(conn, &Trailer { md5 }).unwrap();
    proto::recv(conn).unwrap().expect("a reply")
}

/// The bytes a user uses, as the server counts them.
pub fn used(conn: &mut TcpStream) -> u64 {
    call(conn, &ch15_ftp_homework::proto::Request::Quota)
        .used
        .unwrap()
}

/// What the files and folders below `home` spend, counted here as the lesson says: whole
/// blocks of 4 KiB, at least one for each file and folder; the `.partial` folder itself is
/// the server's.
pub fn spent(home: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut entries = 0;
    let mut folders = vec![home.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            let partials = folder == home && entry.file_name() == ".partial";
            if metadata.is_dir() {
                folders.push(entry.path());
            }
            if partials {
                continue;
            }
            let len = if metadata.is_file() {
                metadata.len()
            } else {
                0
            };
            bytes += len.div_ceil(4096).max(1) * 4096;
            entries += 1;
        }
    }
    (bytes, entries)
}

/// Where the server keeps an interrupted upload to `path` (`/docs/a.txt`) in a home.
pub fn partial_of(home: &Path, path: &str) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(path.as_bytes());
    home.join(".partial").join(hex::encode(&digest[..16]))
}

/// Starts the server through `bash -c SETUP; exec server ...`, for limits set with `ulimit`.
pub fn start_with(site: &Site, setup: &str, extra: &[&str]) -> (Program, SocketAddr) {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!(r#"{setup}; exec "$0" "$@""#))
        .arg(SERVER.path())
        .args(site.server_args("127.0.0.1:0"))
        .args(extra);
    Program::spawn_server(command)
}
