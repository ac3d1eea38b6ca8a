//! Moving a file's bytes and its md5 at the same time.
//!
//! Each piece is hashed as it goes by, so the md5 costs no second pass over the file. The
//! md5 always covers the whole file: when a transfer resumes, the part already there is read
//! back and hashed first.
//!
//! [`copy_md5`] is the whole idea in one loop: read a piece, hash it, write it. The server and
//! the client use [`pipeline`], which does the same with the hashing on a second thread, and
//! flushes to disk as it goes.

use std::io::{self, Read, Write};

use md5::{Digest, Md5};

pub mod pipeline;

pub use pipeline::{Flusher, copy_hashing};

/// The size of each piece read and written: large, so that system calls are few.
pub const CHUNK: usize = 256 * 1024;

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

/// The stream ended after `got` of the `n` bytes it should have carried.
fn cut_off(got: u64, n: u64) -> CopyError {
    let message = format!("cut off after {got} of {n} bytes");
    CopyError::Reading(io::Error::new(io::ErrorKind::UnexpectedEof, message))
}

// ANCHOR: copy_md5
/// Copies exactly `n` bytes from `from` to `to`, feeding each piece to `md5` and telling
/// `progress` how many bytes went by. A stream that ends early is an error.
pub fn copy_md5(
    from: &mut impl Read,
    to: &mut impl Write,
    n: u64,
    md5: &mut Md5,
    mut progress: impl FnMut(u64),
) -> Result<(), CopyError> {
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(n).unwrap_or(CHUNK)).max(1)];
    let mut left = n;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        // recv: whatever has arrived, up to a piece.
        let got = match from.read(&mut buf[..want]) {
            Ok(0) => return Err(cut_off(n - left, n)),
            Ok(got) => got,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(CopyError::Reading(error)),
        };
        // md5.update(piece), then write the piece.
        md5.update(&buf[..got]);
        if let Err(error) = to.write_all(&buf[..got]) {
            let read = n - left + got as u64;
            return Err(CopyError::Writing { error, read });
        }
        left -= got as u64;
        progress(got as u64);
    }
    Ok(())
}
// ANCHOR_END: copy_md5

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
    fn both_copies_copy_exactly_and_hash_what_they_copied() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        for pipelined in [false, true] {
            let mut out = Vec::new();
            let mut md5 = Md5::new();
            let mut seen = 0;
            let progress = |n| seen += n;
            if pipelined {
                copy_hashing(&mut &data[..], &mut out, 600_000, &mut md5, progress).unwrap();
            } else {
                copy_md5(&mut &data[..], &mut out, 600_000, &mut md5, progress).unwrap();
            }
            assert_eq!(out, data[..600_000]);
            assert_eq!(seen, 600_000);
            assert_eq!(hex(&md5), hex::encode(Md5::digest(&data[..600_000])));
        }
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
        for copy in [copy_md5, copy_hashing] {
            let error = copy(
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
}
