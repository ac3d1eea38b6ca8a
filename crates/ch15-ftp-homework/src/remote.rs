//! The client's side of the protocol: one method per command. A refusal from the server is
//! a [`Refused`] error (the client prints it and goes on); anything else means the connection
//! is gone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use md5::{Digest, Md5};

use crate::auth::{self, Kdf, Key};
use crate::proto::{self, Entry, Reply, Request, Status, Trailer};
use crate::transfer::{self, Flusher, copy_hashing, hash_prefix};

/// The server said no, and why.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A connection to the server.
pub struct Remote {
    conn: TcpStream,
}

/// What a put or get did.
#[derive(Debug)]
pub struct Transfer {
    pub size: u64,
    /// Bytes that were already there from an interrupted transfer, and were not sent again.
    pub resumed_at: u64,
    pub md5: String,
}

impl Remote {
    pub fn connect(addr: SocketAddr) -> anyhow::Result<Remote> {
        let conn =
            TcpStream::connect(addr).with_context(|| format!("could not connect to {addr}"))?;
        conn.set_nodelay(true)?;
        Ok(Remote { conn })
    }

    /// Sends a request and receives its reply; a refusal becomes a [`Refused`] error.
    fn call(&mut self, request: &Request) -> anyhow::Result<Reply> {
        proto::send(&mut self.conn, request)?;
        self.reply()
    }

    fn reply(&mut self) -> anyhow::Result<Reply> {
        let reply: Reply =
            proto::recv(&mut self.conn)?.context("the server closed the connection")?;
        if reply.status == Status::Error {
            let message = reply
                .error
                .unwrap_or_else(|| "refused, without a reason".into());
            return Err(Refused(message).into());
        }
        Ok(reply)
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
    /// (a load test) may derive it once and keep it, as the server cannot tell.
    pub fn login_with(
        &mut self,
        user: &str,
        key: impl FnOnce(&[u8], Kdf) -> anyhow::Result<Key>,
    ) -> anyhow::Result<String> {
        let reply = self.call(&Request::Login { user: user.into() })?;
        let (Some(salt), Some(kdf), Some(challenge)) = (reply.salt, reply.kdf, reply.challenge)
        else {
            bail!("the server's login reply lacks salt, kdf or challenge");
        };
        let salt = hex::decode(salt).context("the server sent a salt that is not hex")?;
        let challenge = auth::from_hex(&challenge).context("the server sent a bad challenge")?;
        let proof = auth::proof(&key(&salt, kdf)?, user, &challenge);
        let reply = self.call(&Request::Auth {
            proof: hex::encode(proof),
        })?;
        Ok(reply.cwd.unwrap_or_else(|| "/".into()))
    }

    pub fn pwd(&mut self) -> anyhow::Result<String> {
        Ok(self.call(&Request::Pwd)?.cwd.unwrap_or_default())
    }

    pub fn cd(&mut self, path: &str) -> anyhow::Result<String> {
        let reply = self.call(&Request::Cd { path: path.into() })?;
        Ok(reply.cwd.unwrap_or_default())
    }

    pub fn ls(&mut self, path: Option<&str>) -> anyhow::Result<Vec<Entry>> {
        let reply = self.call(&Request::Ls {
            path: path.map(Into::into),
        })?;
        let size = reply.size.context("the ls reply has no size")?;
        let body = ch12_struct_header::recv_data(&mut self.conn, size, 64 << 20)?;
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

    pub fn quit(&mut self) -> anyhow::Result<()> {
        self.call(&Request::Quit).map(drop)
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
        copy_hashing(&mut file, &mut self.conn, size - offset, &mut md5, |n| {
            progress(Progress::Moved(n))
        })
        .map_err(io::Error::from)
        .with_context(|| format!("sending {}", local.display()))?;
        let md5 = transfer::hex(&md5);
        proto::send(&mut self.conn, &Trailer { md5: md5.clone() })?;
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
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&partial)
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
        copy_hashing(&mut self.conn, &mut file, size - have, &mut md5, |n| {
            flusher.written(n);
            progress(Progress::Moved(n));
        })
        .map_err(io::Error::from)?;
        let trailer: Trailer =
            proto::recv(&mut self.conn)?.context("the server hung up before the md5")?;
        let md5 = transfer::hex(&md5);
        if trailer.md5 != md5 {
            drop(file);
            fs::remove_file(&partial)?;
            bail!(Refused(format!(
                "md5 mismatch: the server sent {}, the bytes received give {md5}; discarded",
                trailer.md5
            )));
        }
        // On the disk before it takes its name.
        flusher.finish()?;
        drop(file);
        fs::rename(&partial, local).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), local.display())
        })?;
        Ok(Transfer {
            size,
            resumed_at: have,
            md5,
        })
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
