//! 十二 峰哥解决粘包的方法 — the frame that ends sticky packets.
//!
//! Every reply travels as three parts:
//!
//! ```text
//! +-------------------+------------------------------+--------------------------+
//! | 4 bytes           | header_len bytes             | data_size bytes          |
//! | header_len        | the header: UTF-8 JSON       | the data                 |
//! | i32, little-end.  | {"data_size": 3893}          | 1\n2\n3\n ...            |
//! +-------------------+------------------------------+--------------------------+
//! ```
//!
//! The 4 bytes are what Python's `struct.pack('i', n)` makes on x86 and ARM: a signed 32-bit
//! integer, least significant byte first. The receiver reads *exactly* 4 bytes, then
//! *exactly* `header_len` bytes, then *exactly* `data_size` bytes, so it always knows how
//! much belongs to this reply, and nothing can stick. Each length is checked before it is
//! trusted: a peer must not be able to crash us or make us allocate gigabytes.

use std::io::{self, Read};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use support::py_bytes;

/// The largest header we send or accept. A real header is a few dozen bytes.
pub const MAX_HEADER: usize = 64 * 1024;

/// The header of a remote-shell reply, as the article's server sends it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// How many bytes of data follow the header.
    pub data_size: u64,
}

/// The first two parts of a frame: `struct.pack('i', len(header))` followed by the header's
/// JSON. The data is sent after it.
pub fn pack_header(header: &impl Serialize) -> io::Result<Vec<u8>> {
    let json = serde_json::to_vec(header)?;
    if json.len() > MAX_HEADER {
        let size = json.len();
        return Err(invalid(format!(
            "a header of {size} bytes is over the limit of {MAX_HEADER}"
        )));
    }
    let header_len = i32::try_from(json.len()).expect("MAX_HEADER fits in an i32");
    let mut head = Vec::with_capacity(4 + json.len());
    head.extend_from_slice(&header_len.to_le_bytes());
    head.extend_from_slice(&json);
    Ok(head)
}

/// Receives a header: exactly 4 bytes of length, then exactly that many bytes of JSON, which
/// must be an object of type `T`. `Ok(None)` means the peer hung up cleanly, before a new frame
/// began; anything else that is not a `T` (`null`, a number, a list, a missing field) is an
/// `InvalidData` error, never taken for a hang-up.
pub fn recv_header<T: DeserializeOwned>(conn: &mut impl Read) -> io::Result<Option<T>> {
    // struct.unpack('i', recv exactly 4 bytes)
    let mut len_bytes = [0u8; 4];
    if !read_exact_or_end(conn, &mut len_bytes)? {
        return Ok(None);
    }
    let header_len = i32::from_le_bytes(len_bytes);
    let size = usize::try_from(header_len)
        .ok()
        .filter(|size| (1..=MAX_HEADER).contains(size))
        .ok_or_else(|| {
            invalid(format!(
                "bad header length {header_len}: expected 1 to {MAX_HEADER}"
            ))
        })?;

    // recv exactly `size` bytes: the JSON header.
    let mut json = vec![0u8; size];
    conn.read_exact(&mut json)
        .map_err(|error| cut_off(error, format!("the {size}-byte header")))?;
    let bad = |why: &dyn std::fmt::Display| {
        let shown = py_bytes(&json[..json.len().min(100)]);
        invalid(format!("bad header {shown}: {why}"))
    };
    // A header is a JSON object, checked before it is decoded: decoded into an `Option<T>`,
    // `null` would read as no header at all (a hang-up), and serde reads a list such as `[3]`
    // as a struct whose fields come in order.
    let header: serde_json::Value = serde_json::from_slice(&json).map_err(|e| bad(&e))?;
    if !header.is_object() {
        return Err(bad(&"expected a JSON object"));
    }
    T::deserialize(header).map(Some).map_err(|e| bad(&e))
}

/// Receives exactly `size` bytes of data, however many recv calls that takes; refuses a size
/// over `max` before reading any of it.
pub fn recv_data(conn: &mut impl Read, size: u64, max: u64) -> io::Result<Vec<u8>> {
    if size > max {
        return Err(invalid(format!(
            "{size} bytes of data is more than the {max} we accept"
        )));
    }
    // `take` stops at `size`; the buffer grows as bytes arrive, never ahead of them.
    let mut data = Vec::new();
    conn.take(size).read_to_end(&mut data)?;
    if data.len() as u64 != size {
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        return Err(cut_off(
            eof,
            format!("the data after {} of {size} bytes", data.len()),
        ));
    }
    Ok(data)
}

/// Like `read_exact`, but `Ok(false)` when the stream ends before the first byte: that is a
/// peer hanging up between frames, not a broken frame.
fn read_exact_or_end(conn: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match conn.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
                let what = format!("the header length after {filled} of 4 bytes");
                return Err(cut_off(eof, what));
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn cut_off(error: io::Error, what: String) -> io::Error {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the frame was cut off in {what}"),
        )
    } else {
        error
    }
}
