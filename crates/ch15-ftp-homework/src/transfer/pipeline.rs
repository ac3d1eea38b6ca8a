//! The fast version of [`super::copy_md5`]: the same contract, about twice the speed on a
//! machine with a core to spare. It is an optimisation, not part of the protocol; read
//! `copy_md5` first.
//!
//! Two things make a verified transfer slow: md5 itself (about 2 ns a byte, on one core),
//! and waiting for the disk. So:
//!
//! - [`copy_hashing`] moves the bytes on one thread and hashes them on another. The pieces
//!   go round between the two in a small pool of buffers: filled by the copying thread,
//!   hashed by the other, then given back to be filled again.
//! - [`Flusher`] flushes a file to disk *while* it is written, so that the flush before it
//!   takes its name has little left to do.

use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread;

use md5::{Digest, Md5};

use super::{CHUNK, CopyError, cut_off};

/// Pieces in flight between the thread that moves the bytes and the one that hashes them.
const DEPTH: usize = 4;

/// What [`super::copy_md5`] does, with the md5 on a second thread: this one reads and
/// writes, the other hashes what was written, so the md5 runs beside the copying instead of
/// between its steps.
pub fn copy_hashing(
    from: &mut impl Read,
    to: &mut impl Write,
    n: u64,
    md5: &mut Md5,
    mut progress: impl FnMut(u64),
) -> Result<(), CopyError> {
    let size = CHUNK.min(usize::try_from(n).unwrap_or(CHUNK)).max(1);
    let (to_hash, hash_queue) = mpsc::sync_channel::<(Vec<u8>, usize)>(DEPTH);
    let (to_pool, pool) = mpsc::sync_channel::<Vec<u8>>(DEPTH + 1);
    for _ in 0..=DEPTH {
        to_pool.send(vec![0u8; size]).expect("the pool has room");
    }
    thread::scope(|scope| {
        // Owned by this closure, so that returning from it (even early, on an error) closes
        // the queue, and the hashing thread ends.
        let to_hash = to_hash;
        scope.spawn(move || {
            for (piece, len) in hash_queue {
                md5.update(&piece[..len]);
                // The copying side may have stopped (an error): then nobody needs the buffer.
                let _ = to_pool.send(piece);
            }
        });
        let mut left = n;
        while left > 0 {
            let mut piece = pool.recv().expect("the hashing thread gives buffers back");
            let want = piece.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let read = loop {
                match from.read(&mut piece[..want]) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    read => break read,
                }
            };
            let got = match read {
                Ok(0) => return Err(cut_off(n - left, n)),
                Ok(got) => got,
                Err(error) => return Err(CopyError::Reading(error)),
            };
            if let Err(error) = to.write_all(&piece[..got]) {
                let read = n - left + got as u64;
                return Err(CopyError::Writing { error, read });
            }
            left -= got as u64;
            progress(got as u64);
            to_hash
                .send((piece, got))
                .expect("the hashing thread is running");
        }
        // Returning drops `to_hash`: the hashing thread finishes the queue and ends, the
        // scope waits for it, and `md5` then covers every byte copied.
        Ok(())
    })
}

/// Flushes a file being written to disk *while* it is written, so that the flush at the end
/// (before the file may take its name) has little left to do. Writing the bytes takes CPU;
/// flushing them mostly waits for the disk: done together, the wait hides behind the work.
pub struct Flusher {
    signal: Option<mpsc::SyncSender<()>>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
    unflushed: u64,
}

/// How much is written between two flushes.
const FLUSH_EVERY: u64 = 64 << 20;

impl Flusher {
    pub fn start(file: &std::fs::File) -> io::Result<Flusher> {
        let file = file.try_clone()?;
        let (signal, flushes) = mpsc::sync_channel::<()>(1);
        let thread = thread::spawn(move || {
            for () in flushes {
                file.sync_data()?;
            }
            file.sync_all()
        });
        Ok(Flusher {
            signal: Some(signal),
            thread: Some(thread),
            unflushed: 0,
        })
    }

    /// Counts `n` more bytes written; every 64 MiB, asks for a flush (unless one is running).
    pub fn written(&mut self, n: u64) {
        self.unflushed += n;
        if self.unflushed >= FLUSH_EVERY {
            self.unflushed = 0;
            if let Some(signal) = &self.signal {
                let _ = signal.try_send(());
            }
        }
    }

    /// Flushes the rest and waits until every byte is on the disk.
    pub fn finish(mut self) -> io::Result<()> {
        self.signal = None;
        match self.thread.take().map(thread::JoinHandle::join) {
            Some(Ok(flushed)) => flushed,
            Some(Err(_)) => Err(io::Error::other("the flushing thread panicked")),
            None => Ok(()),
        }
    }
}
