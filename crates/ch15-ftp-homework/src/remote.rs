//! The client's side of the protocol: one method per command. A refusal from the server is
//! a [`Refused`] error (the client prints it and goes on); anything else means the connection
//! is gone.
//!
//! A server drops a session that stays silent too long (`--idle-timeout`). A student who
//! listened to the teacher for ten minutes should not have to start again: when the server
//! has hung up since the last command, the next one calls again, logs in again and goes back
//! to the same folder first. Logging in again takes the key derived from the password at the
//! first login (the server cannot tell it from a fresh one); the password itself is neither
//! kept nor asked for again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use md5::{Digest, Md5};
use support::Throttle;

use crate::auth::{self, Kdf, Key};
use crate::proto::{self, Entry, Reply, Request, Status, Trailer};
use crate::transfer::{self, Flusher, copy_hashing, hash_prefix};

/// The server said no, and why.
#[derive(Debug)]
pub struct Refused(pub String);

/// The server did not accept the login's proof: a wrong password, or a user who does not
/// exist (the server does not say which).
#[derive(Debug)]
pub struct WrongPassword(pub String);

/// Errors that are just their message.
macro_rules! message_errors {
    ($($name:ident),*) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}
    )*};
}

message_errors!(Refused, WrongPassword);

/// The server hung up between two frames (it had nothing more to say).
fn hung_up() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "the server hung up")
}

/// A connection to the server, and what it takes to call again.
pub struct Remote {
    addr: SocketAddr,
    /// The client's socket, the article's `phone`; `None` once the server hung up, until the
    /// next command calls again.
    phone: Option<TcpStream>,
    /// What logging in again takes: never the password, only the key derived from it.
    login: Option<Login>,
    /// `--limit-rate`: bytes a second for put and get; `None` is as fast as it goes.
    rate: Option<u64>,
    /// Told each time the client had to call again and log in again.
    on_login_again: Option<Tell>,
}

/// Tells (user, folder) after a new login.
type Tell = Box<dyn FnMut(&str, &str)>;

/// A login to repeat when the server hung up: the salt and parameters the key was derived
/// with (a changed password has a new salt), the key, and the folder to go back to.
struct Login {
    user: String,
    salt: Vec<u8>,
    kdf: Kdf,
    key: Key,
    cwd: String,
}

/// What a put or get did.
#[derive(Debug)]
pub struct Transfer {
    pub size: u64,
    /// Bytes that were already there from an interrupted transfer, and were not sent again.
    pub resumed_at: u64,
    pub md5: String,
}

/// socket() + connect(): dials the server.
fn dial(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let phone = TcpStream::connect(addr).with_context(|| format!("could not connect to {addr}"))?;
    phone.set_nodelay(true)?;
    Ok(phone)
}

/// Whether the line is still open: nothing has arrived since the last reply. A hang-up (0
/// bytes, or a reset) or anything the server sent unasked (a goodbye) means the session is
/// over. Looks without waiting (a non-blocking peek) and without taking anything.
fn still_open(phone: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if phone.set_nonblocking(true).is_err() {
        return false;
    }
    let peeked = phone.peek(&mut byte);
    let blocking_again = phone.set_nonblocking(false);
    matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock) && blocking_again.is_ok()
}

/// The reason the server gave for hanging up, if it sent one before closing (an idle
/// timeout closes without a word).
fn goodbye(phone: &mut TcpStream) -> Option<String> {
    phone.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let reply: Reply = proto::recv(phone).ok().flatten()?;
    reply.error
}

/// Whether a request failed because the server had hung up before it answered: it closed
/// the line (its idle timeout ran out just as the request left), so it never read it.
fn unanswered(error: &anyhow::Error) -> bool {
    error.downcast_ref::<io::Error>().is_some_and(|e| {
        matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
        )
    })
}

impl Remote {
    pub fn connect(addr: SocketAddr) -> anyhow::Result<Remote> {
        Ok(Remote {
            addr,
            phone: Some(dial(addr)?),
            login: None,
            rate: None,
            on_login_again: None,
        })
    }

    /// Keeps put and get to `rate` bytes a second (`None`: as fast as the network goes).
    pub fn limit_rate(&mut self, rate: Option<u64>) {
        self.rate = rate;
    }

    /// Calls `tell(user, folder)` whenever the server had hung up and the client logged in
    /// again by itself.
    pub fn on_login_again(&mut self, tell: impl FnMut(&str, &str) + 'static) {
        self.on_login_again = Some(Box::new(tell));
    }

    /// The current folder, as the server last said it (`/` is the home).
    pub fn cwd(&self) -> &str {
        self.login.as_ref().map_or("/", |login| &login.cwd)
    }

    /// The socket, for the bytes that follow a reply (`call` has just used it).
    fn phone(&mut self) -> anyhow::Result<&mut TcpStream> {
        self.phone.as_mut().context("not connected")
    }

    /// Sends a request and receives its reply; a refusal becomes a [`Refused`] error. If the
    /// server hung up since the last request, calls again and logs in again first.
    fn call(&mut self, request: &Request) -> anyhow::Result<Reply> {
        let called_again = self.call_again_if_hung_up()?;
        match self.exchange(request) {
            // It hung up as the request left: it never read it. Call again, ask once more.
            Err(error) if !called_again && unanswered(&error) => {
                self.phone = None;
                self.call_again_if_hung_up()?;
                self.exchange(request)
            }
            other => other,
        }
    }

    /// One request and its reply, on the line as it is.
    fn exchange(&mut self, request: &Request) -> anyhow::Result<Reply> {
        proto::send(self.phone()?, request)?;
        self.reply()
    }

    fn reply(&mut self) -> anyhow::Result<Reply> {
        let reply: Reply = proto::recv(self.phone()?)?.ok_or_else(hung_up)?;
        if reply.status == Status::Error {
            let message = reply
                .error
                .unwrap_or_else(|| "refused, without a reason".into());
            return Err(Refused(message).into());
        }
        Ok(reply)
    }

    /// If the server hung up since the last command, calls again and, if we were logged in,
    /// logs in again and goes back to the same folder. Returns whether it called again.
    fn call_again_if_hung_up(&mut self) -> anyhow::Result<bool> {
        if self.phone.as_ref().is_some_and(still_open) {
            return Ok(false);
        }
        // A server that ends a session on purpose (the account was removed, the password
        // changed) says why before it hangs up: then calling again would not help.
        if let Some(why) = self.phone.take().as_mut().and_then(goodbye) {
            bail!("the server ended the session: {why}");
        }
        self.phone = Some(dial(self.addr)?);
        if let Some(login) = self.login.take() {
            self.log_in_again(login)?;
        }
        Ok(true)
    }

    fn log_in_again(&mut self, login: Login) -> anyhow::Result<()> {
        let mut again = self
            .answer_challenge(&login.user, |salt, kdf| {
                // A new salt means a new password: the key we kept is no longer the right one.
                ensure!(
                    salt == login.salt && kdf == login.kdf,
                    "{}'s password was changed on the server: start the client again",
                    login.user
                );
                Ok(login.key)
            })
            .with_context(|| {
                format!(
                    "the server hung up, and logging in again as {} failed",
                    login.user
                )
            })?;
        if login.cwd != again.cwd {
            // Back to the folder we were in, if it is still there.
            if let Ok(reply) = self.exchange(&Request::Cd {
                path: login.cwd.clone(),
            }) {
                again.cwd = reply.cwd.unwrap_or(again.cwd);
            }
        }
        if let Some(tell) = &mut self.on_login_again {
            tell(&again.user, &again.cwd);
        }
        self.login = Some(again);
        Ok(())
    }

    /// Logs in: the server sends the salt and a challenge; we derive the key from the
    /// password (slowly, on purpose) and send only a proof. Returns the current directory.
    pub fn login(&mut self, user: &str, password: &str) -> anyhow::Result<String> {
        self.login_with(user, |salt, kdf| {
            let salted = auth::salted_password(password, salt, kdf).map_err(anyhow::Error::msg)?;
            Ok(auth::client_key(&salted))
        })
    }

    /// Logs in with the client key from `key(salt, kdf)`: a program that logs in many times
    /// (a load test) may derive it once and keep it, as the server cannot tell. A wrong
    /// password is a [`WrongPassword`] error.
    pub fn login_with(
        &mut self,
        user: &str,
        key: impl FnOnce(&[u8], Kdf) -> anyhow::Result<Key>,
    ) -> anyhow::Result<String> {
        self.login = None;
        // The server may have hung up while the password was typed: call again if so.
        self.call_again_if_hung_up()?;
        let login = self.answer_challenge(user, key)?;
        let cwd = login.cwd.clone();
        self.login = Some(login);
        Ok(cwd)
    }

    /// The login's two steps: `login` (the server answers with the salt, the key derivation's
    /// parameters and a challenge), then `auth` with the proof.
    fn answer_challenge(
        &mut self,
        user: &str,
        key: impl FnOnce(&[u8], Kdf) -> anyhow::Result<Key>,
    ) -> anyhow::Result<Login> {
        let reply = self.exchange(&Request::Login { user: user.into() })?;
        let (Some(salt), Some(kdf), Some(challenge)) = (reply.salt, reply.kdf, reply.challenge)
        else {
            bail!("the server's login reply lacks salt, kdf or challenge");
        };
        let salt = hex::decode(salt).context("the server sent a salt that is not hex")?;
        let challenge = auth::from_hex(&challenge).context("the server sent a bad challenge")?;
        let key = key(&salt, kdf)?;
        let proof = auth::proof(&key, user, &challenge);
        let reply = match self.exchange(&Request::Auth {
            proof: hex::encode(proof),
        }) {
            Err(error) => match error.downcast::<Refused>() {
                Ok(Refused(message)) => bail!(WrongPassword(message)),
                Err(error) => return Err(error),
            },
            Ok(reply) => reply,
        };
        Ok(Login {
            user: user.into(),
            salt,
            kdf,
            key,
            cwd: reply.cwd.unwrap_or_else(|| "/".into()),
        })
    }

    /// Keeps the folder the server says we are in, to come back to it after a new login.
    fn moved_to(&mut self, cwd: Option<String>) -> String {
        let cwd = cwd.unwrap_or_default();
        if let Some(login) = &mut self.login {
            login.cwd.clone_from(&cwd);
        }
        cwd
    }

    pub fn pwd(&mut self) -> anyhow::Result<String> {
        let reply = self.call(&Request::Pwd)?;
        Ok(self.moved_to(reply.cwd))
    }

    pub fn cd(&mut self, path: &str) -> anyhow::Result<String> {
        let reply = self.call(&Request::Cd { path: path.into() })?;
        Ok(self.moved_to(reply.cwd))
    }

    pub fn ls(&mut self, path: Option<&str>) -> anyhow::Result<Vec<Entry>> {
        let reply = self.call(&Request::Ls {
            path: path.map(Into::into),
        })?;
        let size = reply.size.context("the ls reply has no size")?;
        let body = ch12_struct_header::recv_data(self.phone()?, size, 64 << 20)?;
        serde_json::from_slice(&body).context("the ls listing is not valid")
    }

    pub fn mkdir(&mut self, path: &str) -> anyhow::Result<()> {
        self.call(&Request::Mkdir { path: path.into() }).map(drop)
    }

    pub fn rm(&mut self, path: &str) -> anyhow::Result<()> {
        self.call(&Request::Rm { path: path.into() }).map(drop)
    }

    /// Bytes used and allowed.
    pub fn quota(&mut self) -> anyhow::Result<(u64, u64)> {
        let reply = self.call(&Request::Quota)?;
        Ok((reply.used.unwrap_or(0), reply.quota.unwrap_or(0)))
    }

    /// Logs out (if the server has not hung up already: no need to call again for that).
    pub fn quit(&mut self) -> anyhow::Result<()> {
        if self.phone.as_ref().is_some_and(still_open) {
            self.exchange(&Request::Quit)?;
        }
        self.phone = None;
        Ok(())
    }

    /// Uploads `local` as `remote`. If the server holds part of an earlier attempt, only the
    /// rest is sent; the md5 covers the whole file either way. `progress` is told the size
    /// once, then each piece sent.
    pub fn put(
        &mut self,
        local: &Path,
        remote: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> anyhow::Result<Transfer> {
        // A problem with the local file is refused here, before the server hears of it.
        let mut file = File::open(local)
            .map_err(|e| Refused(format!("cannot read {}: {e}", local.display())))?;
        let size = file.metadata()?.len();
        let reply = self.call(&Request::Put {
            path: remote.into(),
            size,
        })?;
        let offset = reply.offset.unwrap_or(0);
        if offset > size {
            bail!("the server asked to resume at {offset}, past the end ({size} bytes)");
        }
        progress(Progress::Start { size, at: offset });

        let mut md5 = Md5::new();
        hash_prefix(&mut (&mut file).take(offset), offset, &mut md5)?;
        let rate = self.rate;
        let mut phone = Paced::new(self.phone()?, rate);
        copy_hashing(&mut file, &mut phone, size - offset, &mut md5, |n| {
            progress(Progress::Moved(n))
        })
        .map_err(io::Error::from)
        .with_context(|| format!("sending {}", local.display()))?;
        let md5 = transfer::hex(&md5);
        proto::send(self.phone()?, &Trailer { md5: md5.clone() })?;
        self.reply()?;
        Ok(Transfer {
            size,
            resumed_at: offset,
            md5,
        })
    }

    /// Downloads `remote` to `local`. The bytes go to `<local>.part` first; if that exists
    /// from an interrupted attempt, the download continues where it stopped. Only when the
    /// md5 of the whole file matches the server's does `<local>.part` become `local`.
    pub fn get(
        &mut self,
        remote: &str,
        local: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> anyhow::Result<Transfer> {
        let partial = partial_name(local);
        let done = self.get_into(remote, local, &partial, progress);
        // A refused get leaves no empty <local>.part behind; one with bytes stays, to resume.
        if done.is_err() && fs::metadata(&partial).is_ok_and(|m| m.is_file() && m.len() == 0) {
            let _ = fs::remove_file(&partial);
        }
        done
    }

    fn get_into(
        &mut self,
        remote: &str,
        local: &Path,
        partial: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> anyhow::Result<Transfer> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(partial)
            .map_err(|e| Refused(format!("cannot write {}: {e}", partial.display())))?;
        let mut have = file.metadata()?.len();
        let reply = match self.call(&Request::Get {
            path: remote.into(),
            offset: have,
        }) {
            // The partial is longer than the file is now: it was another file. Start again.
            Err(error) if have > 0 && is_refusal(&error) => {
                file.set_len(0)?;
                have = 0;
                self.call(&Request::Get {
                    path: remote.into(),
                    offset: 0,
                })?
            }
            other => other?,
        };
        let size = reply.size.context("the get reply has no size")?;
        if have > size {
            bail!("the server says {remote} has {size} bytes, but {have} are here already");
        }
        progress(Progress::Start { size, at: have });

        let mut md5 = Md5::new();
        file.seek(SeekFrom::Start(0))?;
        hash_prefix(&mut (&mut file).take(have), have, &mut md5)?;
        let mut flusher = Flusher::start(&file)?;
        let rate = self.rate;
        let mut phone = Paced::new(self.phone()?, rate);
        copy_hashing(&mut phone, &mut file, size - have, &mut md5, |n| {
            flusher.written(n);
            progress(Progress::Moved(n));
        })
        .map_err(io::Error::from)?;
        let trailer: Trailer = proto::recv(self.phone()?)?
            .ok_or_else(hung_up)
            .context("no md5 after the bytes")?;
        let md5 = transfer::hex(&md5);
        if trailer.md5 != md5 {
            drop(file);
            fs::remove_file(partial)?;
            bail!(Refused(format!(
                "md5 mismatch: the server sent {}, the bytes received give {md5}; discarded",
                trailer.md5
            )));
        }
        // On the disk before it takes its name.
        flusher.finish()?;
        drop(file);
        fs::rename(partial, local).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), local.display())
        })?;
        Ok(Transfer {
            size,
            resumed_at: have,
            md5,
        })
    }
}

/// The socket during a put or a get under `--limit-rate`: each read or write moves at most a
/// twentieth of a second's worth of bytes, and waits if they came too soon, so the transfer
/// goes at the rate smoothly rather than in bursts. Without a rate it only passes bytes on.
struct Paced<'a> {
    phone: &'a mut TcpStream,
    throttle: Throttle,
    piece: usize,
}

impl<'a> Paced<'a> {
    fn new(phone: &'a mut TcpStream, rate: Option<u64>) -> Paced<'a> {
        let piece = rate.map_or(usize::MAX, |rate| {
            usize::try_from(rate / 20).unwrap_or(usize::MAX).max(1)
        });
        Paced {
            phone,
            throttle: Throttle::new(rate),
            piece,
        }
    }
}

impl Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.piece);
        let got = self.phone.read(&mut buf[..n])?;
        self.throttle.pace(got as u64);
        Ok(got)
    }
}

impl Write for Paced<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.piece);
        let sent = self.phone.write(&buf[..n])?;
        self.throttle.pace(sent as u64);
        Ok(sent)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.phone.flush()
    }
}

/// How a transfer is going, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// The file has `size` bytes, and `at` of them were already there.
    Start { size: u64, at: u64 },
    /// This many more bytes moved.
    Moved(u64),
}

/// Where a download waits until its md5 is checked: `a.txt` -> `a.txt.part`.
pub fn partial_name(local: &Path) -> PathBuf {
    let mut name = local.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Whether an error is the server refusing (the session goes on), not a broken connection.
pub fn is_refusal(error: &anyhow::Error) -> bool {
    error.downcast_ref::<Refused>().is_some()
}

/// A local file's md5, as 32 hex digits.
pub fn md5_of(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut md5 = Md5::new();
    hash_prefix(&mut file, size, &mut md5)?;
    Ok(transfer::hex(&md5))
}
