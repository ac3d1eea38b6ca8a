//! Disk quotas: what each user stores, counted across all their sessions at once.
//!
//! What counts is what the disk spends, not only the bytes: every file and every folder takes
//! at least one block of 4 KiB, and a file takes its size rounded up to whole blocks
//! ([`Usage::file`]). A user may also have only so many files and folders (`--max-entries`),
//! because each one costs the file system an inode whatever its size.
//!
//! A user's [`Account`] is measured once, by walking their home (interrupted uploads
//! included), and then kept up to date in memory, shared by all their sessions. Its lock is
//! held across every change to the home *and* the change to the count, so that two sessions
//! of one user can never both squeeze under the limit, or both give back the same file.

use std::collections::{HashMap, HashSet};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use cap_std::fs::Dir;

use crate::auth::Key;
use crate::vpath::{PARTIAL_DIR, VPath};

/// The unit a disk spends: a file of 1 byte takes a whole block.
pub const BLOCK: u64 = 4096;

/// What some files and folders spend: bytes of disk, and entries (inodes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub bytes: u64,
    pub entries: u64,
}

impl Usage {
    pub const NONE: Usage = Usage {
        bytes: 0,
        entries: 0,
    };

    /// A file of `len` bytes: its size in whole blocks, at least one.
    pub fn file(len: u64) -> Usage {
        Usage {
            bytes: len.div_ceil(BLOCK).max(1).saturating_mul(BLOCK),
            entries: 1,
        }
    }

    /// A folder (or anything else that is not a file): one block.
    pub fn folder() -> Usage {
        Usage {
            bytes: BLOCK,
            entries: 1,
        }
    }

    fn plus(self, other: Usage) -> Usage {
        Usage {
            bytes: self.bytes.saturating_add(other.bytes),
            entries: self.entries.saturating_add(other.entries),
        }
    }

    fn minus(self, other: Usage) -> Usage {
        Usage {
            bytes: self.bytes.saturating_sub(other.bytes),
            entries: self.entries.saturating_sub(other.entries),
        }
    }
}

/// One user's home, and what it holds, shared by all the sessions of that user.
pub struct Account {
    pub name: String,
    /// The stored key of the user this account was opened for: if the password changes, or
    /// the user is removed and added again, it is another account.
    pub key: Key,
    /// The home, opened once: every file access goes through this handle (see `vpath`).
    pub home: Dir,
    books: Mutex<Books>,
    /// The connections of this user's sessions, to hang up when the administrator removes
    /// the user or changes their password; and why, once that happened.
    calls: Mutex<Calls>,
}

#[derive(Default)]
struct Calls {
    open: HashMap<u64, Arc<TcpStream>>,
    ended: Option<String>,
}

/// The count, and what may change it: hold [`Account::books`] across a change to the home.
#[derive(Debug)]
pub struct Books {
    pub used: Usage,
    pub quota: u64,
    pub max_entries: u64,
    /// Uploads running now: two at once to the same file would mix their bytes.
    pub uploads: HashSet<VPath>,
}

// ANCHOR: change
impl Books {
    /// Counts `new` in place of `old` (what an operation adds, and what it removes), if what
    /// grows still fits: the quota for the bytes, the cap for the entries. Shrinking always
    /// fits, even over a quota that was lowered meanwhile.
    pub fn change(&mut self, old: Usage, new: Usage) -> Result<(), String> {
        let after = self.used.minus(old).plus(new);
        if new.bytes > old.bytes && after.bytes > self.quota {
            return Err(format!(
                "quota exceeded: this needs {} more bytes, and you use {} of your {}",
                new.bytes - old.bytes,
                self.used.bytes,
                self.quota
            ));
        }
        if new.entries > old.entries && after.entries > self.max_entries {
            return Err(format!(
                "too many files and folders: you have {}, and may have {}",
                self.used.entries, self.max_entries
            ));
        }
        self.used = after;
        Ok(())
    }

    /// Gives back what left the disk.
    pub fn give_back(&mut self, gone: Usage) {
        self.used = self.used.minus(gone);
    }

    /// Counts what is on the disk already, whatever the limits say (a partial file that stays).
    pub fn count(&mut self, there: Usage) {
        self.used = self.used.plus(there);
    }
}
// ANCHOR_END: change

impl Account {
    /// Opens `name`'s home (made if needed) and measures it.
    pub fn open(
        name: &str,
        key: Key,
        home: &Path,
        quota: u64,
        max_entries: u64,
    ) -> std::io::Result<Account> {
        std::fs::create_dir_all(home)?;
        let used = measure(home);
        Ok(Account {
            name: name.to_owned(),
            key,
            home: Dir::open_ambient_dir(home, cap_std::ambient_authority())?,
            books: Mutex::new(Books {
                used,
                quota,
                max_entries,
                uploads: HashSet::new(),
            }),
            calls: Mutex::default(),
        })
    }

    /// The lock to hold across a change to the home and its count.
    pub fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one of this user's connections, to hang up if the account ends.
    pub fn attach(&self, id: u64, conn: Arc<TcpStream>) {
        self.calls().open.insert(id, conn);
    }

    pub fn detach(&self, id: u64) {
        self.calls().open.remove(&id);
    }

    /// Ends the account: its sessions stop reading (each tells its client `why` and hangs
    /// up), and refuse anything more.
    pub fn end(&self, why: &str) {
        let mut calls = self.calls();
        calls.ended.get_or_insert_with(|| why.to_owned());
        for conn in calls.open.values() {
            let _ = conn.shutdown(Shutdown::Read);
        }
    }

    /// Why the account ended, if it did.
    pub fn ended(&self) -> Option<String> {
        self.calls().ended.clone()
    }

    fn calls(&self) -> MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

// ANCHOR: measure
/// What the files and folders below `home` spend. The walk keeps its own list of folders to
/// visit (`walkdir`), instead of calling itself for each folder: a tree thousands of levels
/// deep cannot overflow a thread's stack. What cannot be read (vanished meanwhile, or a path
/// too long for the system) is skipped.
pub fn measure(home: &Path) -> Usage {
    let walk = walkdir::WalkDir::new(home)
        .min_depth(1)
        .max_open(4)
        .follow_links(false);
    let mut used = Usage::NONE;
    for entry in walk.into_iter().flatten() {
        // The folder that keeps interrupted uploads is the server's; what is in it counts.
        if entry.depth() == 1 && entry.file_name() == PARTIAL_DIR {
            continue;
        }
        let spent = if entry.file_type().is_file() {
            match entry.metadata() {
                Ok(metadata) => Usage::file(metadata.len()),
                Err(_) => continue,
            }
        } else {
            Usage::folder()
        };
        used = used.plus(spent);
    }
    used
}
// ANCHOR_END: measure

#[cfg(test)]
mod tests {
    use super::*;

    fn some(bytes: u64, entries: u64) -> Books {
        Books {
            used: Usage { bytes, entries },
            quota: 100 * BLOCK,
            max_entries: 10,
            uploads: HashSet::new(),
        }
    }

    #[test]
    fn files_and_folders_spend_whole_blocks() {
        assert_eq!(Usage::file(0).bytes, BLOCK);
        assert_eq!(Usage::file(1).bytes, BLOCK);
        assert_eq!(Usage::file(BLOCK).bytes, BLOCK);
        assert_eq!(Usage::file(BLOCK + 1).bytes, 2 * BLOCK);
        assert_eq!(Usage::file(u64::MAX).bytes, u64::MAX);
        assert_eq!(Usage::folder(), Usage::file(0));
    }

    #[test]
    fn growing_past_the_quota_or_the_cap_is_refused_and_shrinking_is_not() {
        let mut books = some(90 * BLOCK, 9);
        let error = books
            .change(Usage::NONE, Usage::file(11 * BLOCK))
            .unwrap_err();
        assert!(error.starts_with("quota exceeded"), "{error}");
        assert_eq!(books.used.bytes, 90 * BLOCK, "unchanged");
        // Replacing a file by a bigger one needs only the difference.
        books
            .change(Usage::file(5 * BLOCK), Usage::file(15 * BLOCK))
            .unwrap();
        assert_eq!(books.used.bytes, 100 * BLOCK);
        books.change(Usage::NONE, Usage::NONE).unwrap();
        let error = books.change(Usage::NONE, Usage::folder()).unwrap_err();
        assert!(error.starts_with("quota exceeded"), "{error}");

        // A lowered quota still lets a user remove and shrink.
        books.quota = BLOCK;
        books
            .change(Usage::file(15 * BLOCK), Usage::file(1))
            .unwrap();
        books.give_back(Usage::file(1));
        assert_eq!(books.used.entries, 8);

        let mut full = some(0, 10);
        let error = full.change(Usage::NONE, Usage::folder()).unwrap_err();
        assert!(error.starts_with("too many files and folders"), "{error}");
    }

    #[test]
    fn measure_counts_every_entry_below() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::create_dir_all(tmp.path().join(PARTIAL_DIR)).unwrap();
        std::fs::write(tmp.path().join("x"), [0; 10]).unwrap();
        std::fs::write(tmp.path().join("a/b/y"), vec![0; 5000]).unwrap();
        std::fs::write(tmp.path().join(PARTIAL_DIR).join("z"), [0; 1]).unwrap();
        let used = measure(tmp.path());
        // a, a/b, x, a/b/y (two blocks), .partial/z: .partial itself is not counted.
        assert_eq!(used.entries, 5);
        assert_eq!(used.bytes, 6 * BLOCK);
    }
}
