//! Disk quotas: what each user stores, counted across all their sessions at once.
//!
//! A user's use is measured once (the sizes of every file in their home, interrupted uploads
//! included) and then kept up to date in memory. An upload first *reserves* the bytes it
//! will add; if that would go over the quota it is refused before a single byte is written.
//! Two uploads at the same moment cannot both squeeze under the limit, because reserving is
//! one step under a lock.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use cap_std::fs::Dir;

/// The disk use of every user seen since the server started.
#[derive(Default)]
pub struct Quotas {
    users: Mutex<HashMap<String, Arc<Usage>>>,
}

/// One user's bytes on disk (plus what running uploads have reserved).
#[derive(Debug)]
pub struct Usage {
    used: Mutex<u64>,
}

impl Quotas {
    /// The shared usage of `user`, measured from their home the first time.
    pub fn of(&self, user: &str, home: &Dir) -> io::Result<Arc<Usage>> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(usage) = users.get(user) {
            return Ok(Arc::clone(usage));
        }
        let usage = Arc::new(Usage {
            used: Mutex::new(disk_usage(home)?),
        });
        users.insert(user.to_owned(), Arc::clone(&usage));
        Ok(usage)
    }
}

impl Usage {
    pub fn used(&self) -> u64 {
        *self.lock()
    }

    /// Reserves `bytes` under `quota`, or says why not.
    pub fn reserve(self: &Arc<Self>, bytes: u64, quota: u64) -> Result<Reservation, String> {
        let mut used = self.lock();
        let after = used.saturating_add(bytes);
        if after > quota {
            return Err(format!(
                "quota exceeded: this needs {bytes} more bytes, and you use {} of your {quota}",
                *used
            ));
        }
        *used = after;
        Ok(Reservation {
            usage: Arc::clone(self),
            unused: bytes,
        })
    }

    /// Gives back bytes that left the disk (a file removed or replaced).
    pub fn release(&self, bytes: u64) {
        let mut used = self.lock();
        *used = used.saturating_sub(bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Bytes an upload may write. What it has not written when dropped is given back.
#[derive(Debug)]
pub struct Reservation {
    usage: Arc<Usage>,
    unused: u64,
}

impl Reservation {
    /// Records that `bytes` of the reservation are now on disk.
    pub fn written(&mut self, bytes: u64) {
        self.unused = self.unused.saturating_sub(bytes);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.usage.release(self.unused);
    }
}

/// The total size of the files below `dir`, not following symbolic links.
pub fn disk_usage(dir: &Dir) -> io::Result<u64> {
    let mut total = 0;
    for entry in dir.entries()? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += disk_usage(&entry.open_dir()?)?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(used: u64) -> Arc<Usage> {
        Arc::new(Usage {
            used: Mutex::new(used),
        })
    }

    #[test]
    fn a_reservation_over_the_quota_is_refused() {
        let usage = usage(90);
        assert!(usage.reserve(11, 100).is_err());
        assert_eq!(usage.used(), 90);
        let reservation = usage.reserve(10, 100).unwrap();
        assert_eq!(usage.used(), 100);
        assert!(usage.reserve(1, 100).is_err(), "the reservation counts");
        drop(reservation);
        assert_eq!(usage.used(), 90, "nothing written, all given back");
    }

    #[test]
    fn written_bytes_stay_counted() {
        let usage = usage(0);
        let mut reservation = usage.reserve(10, 100).unwrap();
        reservation.written(4);
        drop(reservation);
        assert_eq!(usage.used(), 4);
    }

    #[test]
    fn disk_usage_counts_every_file_below() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::write(tmp.path().join("x"), [0; 10]).unwrap();
        std::fs::write(tmp.path().join("a/b/y"), [0; 5]).unwrap();
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        assert_eq!(disk_usage(&dir).unwrap(), 15);
    }
}
