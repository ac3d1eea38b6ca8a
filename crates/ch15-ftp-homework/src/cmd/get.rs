//! `get PATH [offset]`: reply with the size, send the file from `offset` while hashing all of
//! it, then the md5 as a trailer frame.

use std::io::{self, Read};

use md5::{Digest, Md5};
use support::Throttle;

use super::{User, fs_refusal, open_file};
use crate::conn::Conn;
use crate::proto::{self, Reply, Trailer};
use crate::session::{Problem, refuse};
use crate::transfer::{self, CopyError, copy_hashing, hash_prefix};

// ANCHOR: get
pub fn get(
    user: &User,
    path: &str,
    offset: u64,
    conn: &mut Conn,
    rate: Option<u64>,
) -> Result<(), Problem> {
    let target = user.resolve(path)?;
    let (mut file, size) = open_file(user.home(), &target)?;
    if offset > size {
        return refuse(format!(
            "offset {offset} is beyond the end of {target} ({size} bytes)"
        ));
    }
    // The part the client has already: hashed, not sent. Before the reply, so that a disk
    // error is still a refusal.
    let mut md5 = Md5::new();
    hash_prefix(&mut (&mut file).take(offset), offset, &mut md5)
        .map_err(|error| fs_refusal(error, &target))?;

    conn.busy();
    let reply = Reply {
        size: Some(size),
        ..Reply::ok()
    };
    proto::send(conn, &reply).map_err(Problem::Broken)?;
    let mut throttle = Throttle::new(rate);
    match copy_hashing(&mut file, conn, size - offset, &mut md5, |n| {
        throttle.pace(n)
    }) {
        Ok(()) => {}
        // The client waits for bytes we cannot read: nothing to do but hang up.
        Err(CopyError::Reading(error)) => {
            let why = format!("cannot read {target}: {error}");
            return Err(Problem::Broken(io::Error::new(error.kind(), why)));
        }
        Err(CopyError::Writing { error, .. }) => return Err(Problem::Broken(error)),
    }
    let md5 = transfer::hex(&md5);
    proto::send(conn, &Trailer { md5: md5.clone() }).map_err(Problem::Broken)?;
    let resumed = match offset {
        0 => String::new(),
        _ => format!(" from {offset}"),
    };
    let shown = target.to_string();
    println!(
        "{}: get {shown:?}: {size} bytes{resumed}, md5 {md5}",
        user.who
    );
    Ok(())
}
// ANCHOR_END: get
