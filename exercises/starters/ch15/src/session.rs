//! The server's side of one connection: the login, then one request after another until
//! `quit` or the client hangs up. Every request and every reply is a frame (chapter 十二);
//! `proto` has the messages, and the lesson's table says which reply each request gets.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use ch15_ftp_homework::auth;
use ch15_ftp_homework::proto::{self, Reply, Request, Trailer};
use serde_json::Value;

use crate::users;

/// One connection, from accept to hang-up.
pub struct Session {
    conn: TcpStream,
    /// The server's folder: `users.json`, and `home/NAME` for each user.
    dir: PathBuf,
    /// Between `login` and `auth`: who is logging in.
    pending: Option<String>,
    /// Once logged in: who.
    user: Option<String>,
}

impl Session {
    pub fn new(conn: TcpStream, dir: &Path) -> Session {
        Session {
            conn,
            dir: dir.to_owned(),
            pending: None,
            user: None,
        }
    }

    /// Serves requests until `quit` or the client hangs up.
    pub fn run(&mut self) -> io::Result<()> {
        loop {
            // recv a frame: 4 bytes of length, then the JSON. None: the client hung up.
            let Some(json) = proto::recv::<Value>(&mut self.conn)? else {
                return Ok(());
            };
            let request = match Request::parse(json) {
                Ok(request) => request,
                Err(message) => {
                    proto::send(&mut self.conn, &Reply::error(message))?;
                    continue;
                }
            };
            if request == Request::Quit {
                return proto::send(&mut self.conn, &Reply::ok());
            }
            // put and get send their replies themselves (bytes follow them): they return None.
            if let Some(reply) = self.handle(request)? {
                proto::send(&mut self.conn, &reply)?;
            }
        }
    }

    fn handle(&mut self, request: Request) -> io::Result<Option<Reply>> {
        let reply = match request {
            Request::Login { user } => self.login(user),
            Request::Auth { proof } => self.auth(&proof),
            _ if self.user.is_none() => Reply::error("log in first"),
            Request::Pwd => Reply {
                // Requirement 5: where the user is; for now, always their home.
                cwd: Some("/".into()),
                ..Reply::ok()
            },
            Request::Cd { .. } => Reply::error("cd is not written yet (requirement 5)"),
            Request::Ls { .. } => Reply::error("ls is not written yet (requirement 6)"),
            Request::Quota => Reply::error("quota is not written yet (requirement 4)"),
            Request::Mkdir { path } => done(fs::create_dir(self.path(&path))),
            Request::Rm { path } => {
                let path = self.path(&path);
                done(fs::remove_file(&path).or_else(|_| fs::remove_dir(&path)))
            }
            Request::Put { path, size } => return self.put(&path, size),
            Request::Get { path, offset } => return self.get(&path, offset),
            Request::Quit => Reply::ok(),
        };
        Ok(Some(reply))
    }

    /// login, the first step: the user's salt and key parameters, and a fresh challenge.
    fn login(&mut self, name: String) -> Reply {
        let users = match users::load(&self.dir) {
            Ok(users) => users,
            Err(error) => return Reply::error(format!("{error:#}")),
        };
        let Some(user) = users.get(&name) else {
            return Reply::error("wrong user name or password");
        };
        let challenge = auth::random_key();
        // Requirement 1: keep what `auth` needs to check the proof against this challenge.
        self.pending = Some(name);
        Reply {
            salt: Some(hex::encode(&user.salt)),
            kdf: Some(user.kdf),
            challenge: Some(hex::encode(challenge)),
            ..Reply::ok()
        }
    }

    /// auth, the second step: the client's proof that it knows the password.
    fn auth(&mut self, _proof: &str) -> Reply {
        let Some(name) = self.pending.take() else {
            return Reply::error("send login first");
        };
        // Requirement 1: check the proof (auth::verify), and refuse a wrong one with "wrong
        // user name or password". For now, every proof is taken.
        println!("{name} logged in");
        self.user = Some(name);
        Reply {
            cwd: Some("/".into()),
            ..Reply::ok()
        }
    }

    /// Where a path the user typed is on the server's disk. Requirement 3: nothing outside
    /// the user's home; for now `..` goes where it likes. Requirement 5: relative to the
    /// current folder; for now relative to the home.
    fn path(&self, path: &str) -> PathBuf {
        let name = self.user.as_deref().unwrap_or_default();
        self.dir
            .join("home")
            .join(name)
            .join(path.trim_start_matches('/'))
    }

    /// put: the reply says where to start (requirement 9: always 0 for now), then the client
    /// sends the bytes, then the md5 of the whole file; the last reply says it is stored.
    fn put(&mut self, path: &str, size: u64) -> io::Result<Option<Reply>> {
        // Requirement 4: refuse a file that would go over the user's quota.
        let mut file = match File::create(self.path(path)) {
            Ok(file) => file,
            Err(error) => return Ok(Some(Reply::error(format!("{path}: {error}")))),
        };
        let offset = Reply {
            offset: Some(0),
            ..Reply::ok()
        };
        proto::send(&mut self.conn, &offset)?;
        let stored = io::copy(&mut (&mut self.conn).take(size), &mut file)?;
        if stored < size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the client hung up after {stored} of {size} bytes"),
            ));
        }
        // Requirement 7: compare the client's md5 with the md5 of the bytes received, and say
        // which in the reply ("md5"); keep the file only if they match.
        let Some(_trailer) = proto::recv::<Trailer>(&mut self.conn)? else {
            return Err(io::ErrorKind::UnexpectedEof.into());
        };
        Ok(Some(Reply {
            size: Some(size),
            ..Reply::ok()
        }))
    }

    /// get: the reply gives the file's size, then its bytes follow, then the md5 of the whole
    /// file. Requirement 9: start at `offset`; for now always at 0.
    fn get(&mut self, path: &str, _offset: u64) -> io::Result<Option<Reply>> {
        let (mut file, size) = match File::open(self.path(path)).and_then(|file| {
            let size = file.metadata()?.len();
            Ok((file, size))
        }) {
            Ok(opened) => opened,
            Err(error) => return Ok(Some(Reply::error(format!("{path}: {error}")))),
        };
        let reply = Reply {
            size: Some(size),
            ..Reply::ok()
        };
        proto::send(&mut self.conn, &reply)?;
        io::copy(&mut (&mut file).take(size), &mut self.conn)?;
        // Requirement 7: the md5 of the whole file, computed while the bytes go out.
        let trailer = Trailer { md5: String::new() };
        proto::send(&mut self.conn, &trailer)?;
        self.conn.flush()?;
        Ok(None)
    }
}

/// The reply to a request that did something to the file system.
fn done(result: io::Result<()>) -> Reply {
    match result {
        Ok(()) => Reply::ok(),
        Err(error) => Reply::error(error.to_string()),
    }
}
