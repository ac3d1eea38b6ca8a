//! Moving a file's bytes and its md5 at the same time.
//!
//! Each piece is hashed as it goes by, so the md5 costs no second pass over the file. The
//! md5 always covers the whole file: when a transfer resumes, the part already there is read
//! back and hashed first.

use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread;

use md5::{Digest, Md5};

/// The size of each piece read and written: large, so that system calls are few.
pub const CHUNK: usize = 256 * 1024;

/// Pieces in flight between the thread that moves the bytes and the one that hashes them.
const DEPTH: usize = 4;

/// Which side of a copy failed. It matters: when the server cannot write an upload to its
/// disk, the client should be told why; when the client's socket fails, nobody is left to tell.
#[derive(Debug)]
pub enum CopyError {
    /// Reading failed, or the stream ended early.
    Reading(io::Error),
    /// Writing failed, after `read` bytes had been taken from the source.
    Writing { error: io::Error, read: u64 },
}

impl From<CopyError> for io::Error {
    fn from(error: CopyError) -> io::Error {
        match error {
            CopyError::Reading(error) | CopyError::Writing { error, .. } => error,
        }
    }
}

/// Copies exactly `n` bytes from `from` to `to`, feeding each piece to `md5` and telling
/// `progress` how many bytes went by. A stream that ends early is an error.
///
/// Two threads share the work: this one reads and writes, another hashes what was written,
/// so the md5 (the slowest part: about 2 ns a byte) runs beside the copying instead of after
/// it. The pieces go round between them in a small pool of buffers.
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
            let got = match from.read(&mut piece[..want]) {
                Ok(0) => {
                    let message = format!("cut off after {} of {n} bytes", n - left);
                    let eof = io::Error::new(io::ErrorKind::UnexpectedEof, message);
                    return Err(CopyError::Reading(eof));
                }
                Ok(got) => got,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
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

/// Hashes the first `n` bytes of `file`: the part of an interrupted transfer already there.
pub fn hash_prefix(file: &mut impl Read, n: u64, md5: &mut Md5) -> io::Result<()> {
    Ok(copy_hashing(file, &mut io::sink(), n, md5, |_| {})?)
}

/// The md5 so far, as 32 hex digits.
pub fn hex(md5: &Md5) -> String {
    hex::encode(md5.clone().finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_exactly_and_hashes_what_it_copied() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let mut md5 = Md5::new();
        let mut seen = 0;
        copy_hashing(&mut &data[..], &mut out, 600_000, &mut md5, |n| seen += n).unwrap();
        assert_eq!(out, data[..600_000]);
        assert_eq!(seen, 600_000);
        assert_eq!(hex(&md5), hex::encode(Md5::digest(&data[..600_000])));
    }

    #[test]
    fn a_resumed_hash_covers_the_whole_file() {
        let data = b"hello, resumable world".to_vec();
        let mut md5 = Md5::new();
        hash_prefix(&mut &data[..7], 7, &mut md5).unwrap();
        copy_hashing(&mut &data[7..], &mut io::sink(), 15, &mut md5, |_| {}).unwrap();
        assert_eq!(hex(&md5), hex::encode(Md5::digest(&data)));
    }

    #[test]
    fn a_short_stream_is_an_error() {
        let error = copy_hashing(
            &mut &b"abc"[..],
            &mut io::sink(),
            5,
            &mut Md5::new(),
            |_| {},
        );
        let CopyError::Reading(error) = error.unwrap_err() else {
            panic!("a short source is a reading error")
        };
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(error.to_string(), "cut off after 3 of 5 bytes");
    }
}
