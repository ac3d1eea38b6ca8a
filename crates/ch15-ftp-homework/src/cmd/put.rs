//! `put PATH size`: reply with the offset to start from, take exactly the missing bytes into
//! the partial file while hashing, read the client's md5, and only if it matches give the
//! file its name.
//!
//! The quota is settled in two steps, each under the account's lock: at the start, the upload
//! claims the room the finished file will take ([`Upload::start`]); at the end, however it
//! ends, the claim is replaced by what is really on the disk ([`Upload::finish`], or its
//! `Drop`). In between, the bytes flow without holding the lock.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use cap_std::fs::{OpenOptions, OpenOptionsExt};
use md5::{Digest, Md5};
use support::Throttle;

use super::{Found, PLAIN, User, look, not_plain, partial_path};
use crate::conn::Conn;
use crate::proto::{self, Reply, Trailer};
use crate::quota::{Account, Books, Usage};
use crate::session::{Problem, refuse};
use crate::transfer::{self, CopyError, Flusher, copy_hashing, hash_prefix};
use crate::vpath::{PARTIAL_DIR, VPath};

// ANCHOR: put
pub fn put(
    user: &User,
    path: &str,
    size: u64,
    conn: &mut Conn,
    rate: Option<u64>,
) -> Result<Reply, Problem> {
    let target = user.resolve(path)?;
    if target.is_root() {
        return refuse("put needs a file name");
    }
    let who = &user.who;
    let shown = target.to_string();
    let (upload, mut file, have) = Upload::start(&user.account, &target, size)?;

    // Resume: the md5 covers the whole file, so the part already here is read back first.
    let mut md5 = Md5::new();
    let read_back = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| hash_prefix(&mut (&mut file).take(have), have, &mut md5));
    let mut flusher = read_back
        .and_then(|()| Flusher::start(&file))
        .map_err(|error| cannot_store(&target, error))?;
    conn.busy();
    let reply = Reply {
        offset: Some(have),
        ..Reply::ok()
    };
    proto::send(conn, &reply).map_err(Problem::Broken)?;
    if have > 0 {
        println!("{who}: put {shown:?}: resuming at {have} of {size} bytes");
    }

    // The bytes, straight into the partial file. If the client vanishes, what arrived stays
    // there for the next attempt, and counts against the quota.
    let mut throttle = Throttle::new(rate);
    let copied = copy_hashing(conn, &mut file, size - have, &mut md5, |n| {
        flusher.written(n);
        throttle.pace(n);
    });
    match copied {
        Ok(()) => {}
        Err(CopyError::Reading(error)) => return Err(Problem::Broken(error)),
        Err(CopyError::Writing { error, read }) => {
            // Our disk refused (full, or a limit). Take the rest of the client's bytes and
            // its md5 without storing them, so that the conversation stays in step, and say
            // why. What was stored stays, for a later resume.
            println!("{who}: put {shown:?}: {error}");
            let rest = size - have - read;
            io::copy(&mut (&mut *conn).take(rest), &mut io::sink()).map_err(Problem::Broken)?;
            proto::recv::<Trailer>(conn).map_err(Problem::Broken)?;
            let kept = file.metadata().map_or(have, |metadata| metadata.len());
            return refuse(format!(
                "cannot store {target}: {error}; {kept} bytes are kept, put again to resume"
            ));
        }
    }
    let trailer = match proto::recv::<Trailer>(conn) {
        Ok(Some(trailer)) => trailer,
        Ok(None) => return Err(Problem::Broken(io::ErrorKind::UnexpectedEof.into())),
        Err(error) => return Err(Problem::Broken(error)),
    };

    let md5 = transfer::hex(&md5);
    if trailer.md5 != md5 {
        drop(file);
        upload.discard();
        return refuse(format!(
            "md5 mismatch: you sent {}, {size} bytes arrived as {md5}; the upload was discarded",
            trailer.md5
        ));
    }
    // Flushed to disk before it gets its name: a crash leaves the partial, never a short file.
    flusher
        .finish()
        .map_err(|error| cannot_store(&target, error))?;
    drop(file);
    upload.finish()?;
    println!("{who}: put {shown:?}: {size} bytes, md5 {md5}");
    Ok(Reply {
        md5: Some(md5),
        size: Some(size),
        ..Reply::ok()
    })
}
// ANCHOR_END: put

/// A running upload, and its claim on the quota: the partial file counted at the size it
/// will have once complete.
struct Upload<'a> {
    account: &'a Account,
    target: VPath,
    partial: PathBuf,
    size: u64,
    settled: bool,
}

// ANCHOR: upload
impl<'a> Upload<'a> {
    /// Under the account's lock: checks the target, claims the room, and opens the partial
    /// file (kept from an earlier attempt, or new). Returns it, and how many bytes it has.
    fn start(
        account: &'a Account,
        target: &VPath,
        size: u64,
    ) -> Result<(Upload<'a>, std::fs::File, u64), Problem> {
        let home = &account.home;
        let mut books = account.books();
        match look(home, target)? {
            Found::Nothing | Found::File { .. } => {}
            Found::Folder => return refuse(format!("{target}: is a directory")),
            Found::Other => return not_plain(target),
        }
        let parent = target.join("..").map_err(Problem::Refused)?;
        match look(home, &parent)? {
            Found::Folder => {}
            Found::Nothing => return refuse(format!("{parent}: no such file or directory")),
            _ => return refuse(format!("{parent}: not a directory")),
        }
        if books.uploads.contains(target) {
            return refuse(format!("{target}: another upload of this file is running"));
        }

        // The bytes of an earlier, interrupted upload of this file count already; the claim
        // replaces them by the whole file.
        let partial = partial_path(target);
        let (there, have) = match home.symlink_metadata(&partial) {
            Ok(metadata) if metadata.is_file() => (Usage::file(metadata.len()), metadata.len()),
            _ => (Usage::NONE, 0),
        };
        books
            .change(there, Usage::file(size))
            .map_err(Problem::Refused)?;
        let opened = open_partial(home, &partial, have > size);
        let file = match opened {
            Ok(file) => file,
            Err(error) => {
                settle(&mut books, account, &partial, size);
                return Err(cannot_store(target, error));
            }
        };
        books.uploads.insert(target.clone());
        let have = if have > size { 0 } else { have };
        let upload = Upload {
            account,
            target: target.clone(),
            partial,
            size,
            settled: false,
        };
        Ok((upload, file, have))
    }

    /// The md5 matched: under the lock, the partial file takes the target's name, and the
    /// file it replaces is given back.
    fn finish(mut self) -> Result<(), Problem> {
        let home = &self.account.home;
        let mut books = self.account.books();
        let replaced = match look(home, &self.target)? {
            Found::Nothing => Usage::NONE,
            Found::File { len } => Usage::file(len),
            // Made meanwhile, by another session: the upload stays partial.
            Found::Folder => return refuse(format!("{}: is a directory", self.target)),
            Found::Other => return not_plain(&self.target),
        };
        home.rename(&self.partial, home, self.target.relative())
            .map_err(|error| cannot_store(&self.target, error))?;
        books.give_back(replaced);
        books.uploads.remove(&self.target);
        self.settled = true;
        Ok(())
    }

    /// The md5 did not match: the partial file goes.
    fn discard(self) {
        let _books = self.account.books();
        let _ = self.account.home.remove_file(&self.partial);
    }
}

/// However an upload ended (cut off, refused, discarded), the count becomes what is on disk.
impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut books = self.account.books();
            books.uploads.remove(&self.target);
            settle(&mut books, self.account, &self.partial, self.size);
        }
    }
}
// ANCHOR_END: upload

/// An error of the disk with the server's own files (the partial file, its folder): not
/// something the user's path explains.
fn cannot_store(target: &VPath, error: io::Error) -> Problem {
    Problem::Refused(format!("cannot store {target}: {error}"))
}

/// Replaces an upload's claim (the partial at `size` bytes) by the partial as it is on disk.
fn settle(books: &mut Books, account: &Account, partial: &PathBuf, size: u64) {
    books.give_back(Usage::file(size));
    if let Ok(metadata) = account.home.symlink_metadata(partial)
        && metadata.is_file()
    {
        books.count(Usage::file(metadata.len()));
    }
}

/// Opens the partial file for appending (made if needed, emptied if `restart`), refusing
/// anything that is not a regular file.
fn open_partial(
    home: &cap_std::fs::Dir,
    partial: &PathBuf,
    restart: bool,
) -> io::Result<std::fs::File> {
    home.create_dir_all(PARTIAL_DIR)?;
    let mut options = OpenOptions::new();
    options
        .create(true)
        .read(true)
        .append(true)
        .custom_flags(PLAIN);
    let file = home.open_with(partial, &options)?.into_std();
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if restart {
        file.set_len(0)?;
    }
    Ok(file)
}
