//! The server's side of one connection: log in, then serve requests until `quit`, the client
//! hangs up, or it stays silent too long. Each connection runs on its own thread (see
//! `src/bin/server.rs`); everything they share is in [`Server`].

use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use md5::{Digest, Md5};
use serde_json::Value;

use crate::auth::{self, Kdf, Key};
use crate::proto::{self, Entry, Kind, Reply, Request, Trailer};
use crate::quota::{Quotas, Usage};
use crate::transfer::{self, CopyError, Flusher, copy_hashing, hash_prefix};
use crate::users::{self, Users};
use crate::vpath::{PARTIAL_DIR, VPath};

/// Wrong passwords allowed on one connection before it is closed.
const MAX_FAILED_LOGINS: u32 = 3;

/// What all connections share.
pub struct Server {
    /// The server's folder: `users.json` (by default) and `home/<user>/`.
    homes: PathBuf,
    users_file: PathBuf,
    /// A random secret of this run, to give unknown users a believable salt (so that a
    /// stranger cannot tell which user names exist).
    secret: Key,
    quotas: Quotas,
    /// Uploads running now, `user:/path`: two at once to the same file would mix their bytes.
    uploads: Mutex<HashSet<String>>,
    /// How long a connection may stay silent (or not take what we send) before it is dropped.
    pub idle: Duration,
}

/// Why a request did not succeed: refused (the client is told, and may go on), or the
/// connection itself is broken (it ends).
pub enum Problem {
    Refused(String),
    Broken(io::Error),
}

impl From<io::Error> for Problem {
    fn from(error: io::Error) -> Problem {
        Problem::Broken(error)
    }
}

/// Refuses the request with a message.
fn refuse<T>(message: impl Into<String>) -> Result<T, Problem> {
    Err(Problem::Refused(message.into()))
}

/// A file system error on a user's path, as a refusal they can understand.
fn fs_refusal(error: io::Error, path: &VPath) -> Problem {
    Problem::Refused(match error.kind() {
        io::ErrorKind::NotFound => format!("{path}: no such file or directory"),
        io::ErrorKind::AlreadyExists => format!("{path}: already exists"),
        io::ErrorKind::PermissionDenied => format!("{path}: not allowed (outside your home?)"),
        io::ErrorKind::DirectoryNotEmpty => format!("{path}: directory not empty"),
        io::ErrorKind::NotADirectory => format!("{path}: not a directory"),
        io::ErrorKind::IsADirectory => format!("{path}: is a directory"),
        _ => format!("{path}: {error}"),
    })
}

impl Server {
    /// The server for folder `root` (created if needed) and users file `users_file`.
    pub fn new(root: PathBuf, users_file: PathBuf, idle: Duration) -> io::Result<Server> {
        let homes = root.join("home");
        std::fs::create_dir_all(&homes)?;
        Ok(Server {
            homes,
            users_file,
            secret: auth::random_key(),
            quotas: Quotas::default(),
            uploads: Mutex::new(HashSet::new()),
            idle,
        })
    }

    /// Serves one connection to its end, and says how it ended.
    pub fn serve(&self, conn: TcpStream) {
        let Ok(peer) = conn.peer_addr() else { return };
        let mut session = Session {
            server: self,
            conn,
            who: peer.to_string(),
            peer,
            pending: None,
            failed_logins: 0,
            user: None,
        };
        match session.run() {
            Ok(()) => println!("{}: bye", session.who),
            Err(error) if is_timeout(&error) => {
                println!(
                    "{}: silent for {} s, dropped",
                    session.who,
                    self.idle.as_secs()
                );
            }
            Err(error) => println!("{}: connection ended: {error}", session.who),
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A login between its two steps: the challenge sent, the proof not yet received.
struct Pending {
    name: String,
    challenge: Key,
    /// `None` for a user who does not exist: the proof will fail, as a wrong password would.
    stored: Option<Key>,
    quota: u64,
}

/// A logged-in user.
struct LoggedIn {
    name: String,
    home: Dir,
    cwd: VPath,
    usage: Arc<Usage>,
    quota: u64,
}

struct Session<'a> {
    server: &'a Server,
    conn: TcpStream,
    peer: SocketAddr,
    /// `alice@127.0.0.1:50000` once logged in: the start of every line this session prints.
    who: String,
    pending: Option<Pending>,
    failed_logins: u32,
    user: Option<LoggedIn>,
}

impl Session<'_> {
    fn run(&mut self) -> io::Result<()> {
        // A silent client is dropped; so is one that stops taking what we send.
        self.conn.set_read_timeout(Some(self.server.idle))?;
        self.conn.set_write_timeout(Some(self.server.idle))?;
        // Replies are small frames sent as they are ready: do not let Nagle hold them back.
        self.conn.set_nodelay(true)?;
        println!("{}: connected", self.who);

        loop {
            // Every request is a frame: 4 bytes of length, then JSON (chapter 十二).
            let json: Value = match proto::recv(&mut self.conn) {
                Ok(Some(json)) => json,
                Ok(None) => return Ok(()),
                Err(error) => return Err(self.broken(error)),
            };
            let request = match Request::parse(json) {
                Ok(request) => request,
                Err(message) => {
                    println!("{}: refused: {message}", self.who);
                    proto::send(&mut self.conn, &Reply::error(message))?;
                    continue;
                }
            };
            if request == Request::Quit {
                return proto::send(&mut self.conn, &Reply::ok());
            }
            // Most requests get one reply frame; ls and get send theirs themselves (a body
            // or the file follows it), and return None.
            let reply = match self.handle(request) {
                Ok(reply) => reply,
                Err(Problem::Refused(message)) => {
                    println!("{}: refused: {message}", self.who);
                    Some(Reply::error(message))
                }
                Err(Problem::Broken(error)) => return Err(self.broken(error)),
            };
            if let Some(reply) = reply {
                proto::send(&mut self.conn, &reply)?;
            }
            if self.failed_logins >= MAX_FAILED_LOGINS {
                return Err(io::Error::other("too many failed logins"));
            }
        }
    }

    /// The connection cannot go on. If the cause is a broken frame (a bad length, bad JSON,
    /// a frame cut off), say so if the client still listens: we no longer know where its next
    /// frame would start, so we hang up.
    fn broken(&mut self, error: io::Error) -> io::Error {
        if matches!(
            error.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
        ) {
            let _ = proto::send(&mut self.conn, &Reply::error(error.to_string()));
        }
        error
    }

    fn handle(&mut self, request: Request) -> Result<Option<Reply>, Problem> {
        match request {
            Request::Login { user } => self.login(user).map(Some),
            Request::Auth { proof } => self.auth(&proof).map(Some),
            Request::Quit => Ok(Some(Reply::ok())),
            request => {
                let Some(user) = self.user.as_mut() else {
                    return refuse("log in first");
                };
                let conn = &mut self.conn;
                let who = &self.who;
                match request {
                    Request::Pwd => Ok(Some(cwd_reply(&user.cwd))),
                    Request::Cd { path } => cd(user, &path).map(Some),
                    Request::Ls { path } => ls(user, path.as_deref(), conn).map(|()| None),
                    Request::Mkdir { path } => mkdir(user, &path, who).map(Some),
                    Request::Rm { path } => rm(user, &path, who).map(Some),
                    Request::Quota => Ok(Some(Reply {
                        used: Some(user.usage.used()),
                        quota: Some(user.quota),
                        ..Reply::ok()
                    })),
                    Request::Put { path, size } => {
                        put(self.server, user, &path, size, conn, who).map(Some)
                    }
                    Request::Get { path, offset } => {
                        get(user, &path, offset, conn, who).map(|()| None)
                    }
                    Request::Login { .. } | Request::Auth { .. } | Request::Quit => {
                        unreachable!("handled above")
                    }
                }
            }
        }
    }

    /// Login, step 1: send the user's salt and a fresh challenge.
    fn login(&mut self, name: String) -> Result<Reply, Problem> {
        if self.user.is_some() {
            return refuse("already logged in");
        }
        let users = Users::load(&self.server.users_file)
            .map_err(|error| io::Error::other(format!("{error:#}")))?;
        let known = users
            .get(&name)
            .filter(|_| users::check_name(&name).is_ok());
        let (salt, kdf, stored, quota) = match known {
            Some(user) => (user.salt.clone(), user.kdf, user.stored_key(), user.quota),
            // A stranger gets the same kind of answer as a user, so names cannot be probed.
            None => {
                let fake = auth::proof(&self.server.secret, &name, &[0; 32]);
                (hex::encode(&fake[..16]), Kdf::default(), None, 0)
            }
        };
        let challenge = auth::random_key();
        self.pending = Some(Pending {
            name,
            challenge,
            stored,
            quota,
        });
        Ok(Reply {
            salt: Some(salt),
            kdf: Some(kdf),
            challenge: Some(hex::encode(challenge)),
            ..Reply::ok()
        })
    }

    /// Login, step 2: check the proof against this challenge (it is used up either way).
    fn auth(&mut self, proof: &str) -> Result<Reply, Problem> {
        let Some(pending) = self.pending.take() else {
            return refuse("send login first");
        };
        let good = match (pending.stored, auth::from_hex(proof)) {
            (Some(stored), Some(proof)) => {
                auth::verify(&stored, &pending.name, &pending.challenge, &proof)
            }
            _ => false,
        };
        if !good {
            self.failed_logins += 1;
            println!("{}: failed login as '{}'", self.who, pending.name);
            return refuse("wrong user name or password");
        }

        // Open the home: from here on, every file access goes through this handle.
        let home_path = self.server.homes.join(&pending.name);
        std::fs::create_dir_all(&home_path)?;
        let home = Dir::open_ambient_dir(&home_path, ambient_authority())?;
        let usage = self.server.quotas.of(&pending.name, &home)?;
        self.who = format!("{}@{}", pending.name, self.peer);
        println!("{}: logged in", self.who);
        let user = LoggedIn {
            name: pending.name,
            home,
            cwd: VPath::root(),
            usage,
            quota: pending.quota,
        };
        let reply = cwd_reply(&user.cwd);
        self.user = Some(user);
        Ok(reply)
    }
}

fn cwd_reply(cwd: &VPath) -> Reply {
    Reply {
        cwd: Some(cwd.to_string()),
        ..Reply::ok()
    }
}

/// Resolves a path the user typed, from their current directory, or refuses it.
fn resolve(user: &LoggedIn, path: &str) -> Result<VPath, Problem> {
    user.cwd.join(path).map_err(Problem::Refused)
}

fn cd(user: &mut LoggedIn, path: &str) -> Result<Reply, Problem> {
    let target = resolve(user, path)?;
    let metadata = user
        .home
        .metadata(target.relative())
        .map_err(|e| fs_refusal(e, &target))?;
    if !metadata.is_dir() {
        return refuse(format!("{target}: not a directory"));
    }
    user.cwd = target;
    Ok(cwd_reply(&user.cwd))
}

/// `ls`: the reply's `size` says how many bytes of JSON follow it: the entries.
fn ls(user: &LoggedIn, path: Option<&str>, conn: &mut TcpStream) -> Result<(), Problem> {
    let target = resolve(user, path.unwrap_or("."))?;
    let refusal = |e| fs_refusal(e, &target);
    let metadata = user.home.metadata(target.relative()).map_err(refusal)?;
    let mut entries = Vec::new();
    if metadata.is_dir() {
        for entry in user.home.read_dir(target.relative()).map_err(refusal)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if target.is_root() && name == PARTIAL_DIR {
                continue;
            }
            let metadata = entry.metadata()?;
            entries.push(Entry {
                name,
                kind: if metadata.is_dir() {
                    Kind::Dir
                } else {
                    Kind::File
                },
                size: if metadata.is_dir() { 0 } else { metadata.len() },
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        entries.push(Entry {
            name: target.name().unwrap_or("/").to_owned(),
            kind: Kind::File,
            size: metadata.len(),
        });
    }
    let body = serde_json::to_vec(&entries).map_err(io::Error::from)?;
    let reply = Reply {
        size: Some(body.len() as u64),
        ..Reply::ok()
    };
    let mut frame = ch12_struct_header::pack_header(&reply)?;
    frame.extend_from_slice(&body);
    conn.write_all(&frame)?;
    Ok(())
}

fn mkdir(user: &LoggedIn, path: &str, who: &str) -> Result<Reply, Problem> {
    let target = resolve(user, path)?;
    user.home
        .create_dir(target.relative())
        .map_err(|e| fs_refusal(e, &target))?;
    println!("{who}: mkdir {target}");
    Ok(Reply::ok())
}

/// `rm`: a file, or an empty directory; an interrupted upload of that file goes too.
fn rm(user: &LoggedIn, path: &str, who: &str) -> Result<Reply, Problem> {
    let target = resolve(user, path)?;
    if target.is_root() {
        return refuse("cannot remove your home");
    }
    let partial = partial_path(&target);
    let had_partial = match user.home.metadata(&partial) {
        Ok(metadata) => {
            user.home.remove_file(&partial)?;
            user.usage.release(metadata.len());
            true
        }
        Err(_) => false,
    };
    let removed = match user.home.symlink_metadata(target.relative()) {
        Ok(metadata) if metadata.is_dir() => user.home.remove_dir(target.relative()),
        Ok(metadata) => {
            let removed = user.home.remove_file(target.relative());
            if removed.is_ok() {
                user.usage.release(metadata.len());
            }
            removed
        }
        // Only an interrupted upload had that name: removing it was the whole job.
        Err(error) if error.kind() == io::ErrorKind::NotFound && had_partial => Ok(()),
        Err(error) => Err(error),
    };
    removed.map_err(|e| fs_refusal(e, &target))?;
    println!("{who}: rm {target}");
    Ok(Reply::ok())
}

/// Where the bytes of an interrupted upload to `target` wait: `.partial/<hash of the path>`.
fn partial_path(target: &VPath) -> PathBuf {
    let digest = sha2::Sha256::digest(target.to_string().as_bytes());
    PathBuf::from(PARTIAL_DIR).join(hex::encode(&digest[..16]))
}

/// `put`: reply with the offset to start from, take exactly the missing bytes into the
/// partial file while hashing, read the client's md5, and only if it matches give the file
/// its name. Returns the final reply.
fn put(
    server: &Server,
    user: &LoggedIn,
    path: &str,
    size: u64,
    conn: &mut TcpStream,
    who: &str,
) -> Result<Reply, Problem> {
    let target = resolve(user, path)?;
    if target.is_root() {
        return refuse("put needs a file name");
    }
    if let Ok(metadata) = user.home.metadata(target.relative())
        && metadata.is_dir()
    {
        return refuse(format!("{target}: is a directory"));
    }
    // The parent must be an existing folder in the home.
    let parent = target.join("..").map_err(Problem::Refused)?;
    match user.home.metadata(parent.relative()) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return refuse(format!("{parent}: not a directory")),
        Err(error) => return Err(fs_refusal(error, &parent)),
    }

    // One upload at a time per file.
    let key = format!("{}:{target}", user.name);
    if !server
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key.clone())
    {
        return refuse(format!("{target}: another upload of this file is running"));
    }
    let _running = Running { server, key };

    // Resume: the bytes of an earlier, interrupted upload of this file, if there are not
    // more of them than the file now has.
    user.home.create_dir_all(PARTIAL_DIR)?;
    let partial = partial_path(&target);
    let mut have = user.home.metadata(&partial).map(|m| m.len()).unwrap_or(0);
    if have > size {
        user.home.remove_file(&partial)?;
        user.usage.release(have);
        have = 0;
    }

    // The quota: reserve what this upload adds, or refuse before a byte is written.
    let old_size = user
        .home
        .metadata(target.relative())
        .map(|m| m.len())
        .unwrap_or(0);
    let mut reservation = user
        .usage
        .reserve(size - have, user.quota)
        .map_err(Problem::Refused)?;

    let mut file = user
        .home
        .open_with(
            &partial,
            OpenOptions::new().create(true).read(true).append(true),
        )?
        .into_std();
    let mut md5 = Md5::new();
    file.seek(SeekFrom::Start(0))?;
    hash_prefix(&mut (&mut file).take(have), have, &mut md5)?;
    proto::send(
        conn,
        &Reply {
            offset: Some(have),
            ..Reply::ok()
        },
    )?;
    if have > 0 {
        println!("{who}: put {target}: resuming at {have} of {size} bytes");
    }

    // The bytes, straight into the partial file. If the client vanishes, what arrived stays
    // there for the next attempt, and counts against the quota.
    let mut flusher = Flusher::start(&file)?;
    let copied = copy_hashing(conn, &mut file, size - have, &mut md5, |n| {
        flusher.written(n)
    });
    // Count what is really on disk, however the copy ended: a failed write may have stored
    // part of its piece.
    let kept = file.metadata()?.len();
    reservation.written(kept - have);
    match copied {
        Ok(()) => {}
        Err(CopyError::Reading(error)) => return Err(Problem::Broken(error)),
        Err(CopyError::Writing { error, read }) => {
            // Our disk refused (full, or a limit). Take the rest of the client's bytes and
            // its md5 without storing them, so that the conversation stays in step, and say
            // why. What was stored stays, for a later resume.
            println!("{who}: put {target}: {error}");
            io::copy(&mut (&mut *conn).take(size - have - read), &mut io::sink())?;
            proto::recv::<Trailer>(conn)?;
            return refuse(format!(
                "cannot store {target}: {error}; {kept} bytes are kept, put again to resume"
            ));
        }
    }
    let Some(trailer) = proto::recv::<Trailer>(conn)? else {
        return Err(Problem::Broken(io::ErrorKind::UnexpectedEof.into()));
    };

    let md5 = transfer::hex(&md5);
    if trailer.md5 != md5 {
        drop(file);
        user.home.remove_file(&partial)?;
        user.usage.release(size);
        return refuse(format!(
            "md5 mismatch: you sent {}, {size} bytes arrived as {md5}; the upload was discarded",
            trailer.md5
        ));
    }
    // Flushed to disk before it gets its name: a crash leaves the partial, never a short file.
    flusher.finish()?;
    drop(file);
    user.home
        .rename(&partial, &user.home, target.relative())
        .map_err(|e| fs_refusal(e, &target))?;
    user.usage.release(old_size);
    println!("{who}: put {target}: {size} bytes, md5 {md5}");
    Ok(Reply {
        md5: Some(md5),
        size: Some(size),
        ..Reply::ok()
    })
}

/// Marks an upload as running until dropped.
struct Running<'a> {
    server: &'a Server,
    key: String,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut uploads = self
            .server
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        uploads.remove(&self.key);
    }
}

/// `get`: reply with the size, send the file from `offset` while hashing all of it, then the
/// md5 as a trailer frame.
fn get(
    user: &LoggedIn,
    path: &str,
    offset: u64,
    conn: &mut TcpStream,
    who: &str,
) -> Result<(), Problem> {
    let target = resolve(user, path)?;
    let mut file = user
        .home
        .open(target.relative())
        .map_err(|e| fs_refusal(e, &target))?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return refuse(format!("{target}: is a directory"));
    }
    let size = metadata.len();
    if offset > size {
        return refuse(format!(
            "offset {offset} is beyond the end of {target} ({size} bytes)"
        ));
    }
    proto::send(
        conn,
        &Reply {
            size: Some(size),
            ..Reply::ok()
        },
    )?;

    let mut md5 = Md5::new();
    hash_prefix(&mut (&mut file).take(offset), offset, &mut md5)?;
    copy_hashing(&mut file, conn, size - offset, &mut md5, |_| {}).map_err(io::Error::from)?;
    let md5 = transfer::hex(&md5);
    proto::send(conn, &Trailer { md5: md5.clone() })?;
    let resumed = if offset > 0 {
        format!(" from {offset}")
    } else {
        String::new()
    };
    println!("{who}: get {target}: {size} bytes{resumed}, md5 {md5}");
    Ok(())
}
