//! `ls [PATH]`: the reply's `size` says how many bytes of JSON follow it: the entries (name,
//! kind, size). Only files and folders are listed; an entry that vanishes while it is being
//! looked at (another session removed it) is left out, not an error.

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};

use super::{Found, PLAIN, User, fs_refusal, look, not_plain};
use crate::conn::Conn;
use crate::proto::{Entry, Kind, Reply};
use crate::session::{Problem, refuse};
use crate::vpath::{PARTIAL_DIR, VPath};

pub fn ls(user: &User, path: Option<&str>, conn: &mut Conn) -> Result<(), Problem> {
    let target = user.resolve(path.unwrap_or("."))?;
    let entries = match look(user.home(), &target)? {
        Found::Folder => list(user.home(), &target)?,
        Found::File { len } => vec![Entry {
            name: target.name().unwrap_or("/").to_owned(),
            kind: Kind::File,
            size: len,
        }],
        Found::Nothing => return refuse(format!("{target}: no such file or directory")),
        Found::Other => return not_plain(&target),
    };
    let body = serde_json::to_vec(&entries).expect("entries are plain data");
    let reply = Reply {
        size: Some(body.len() as u64),
        ..Reply::ok()
    };
    let mut frame = ch12_struct_header::pack_header(&reply).map_err(Problem::Broken)?;
    frame.extend_from_slice(&body);
    std::io::Write::write_all(conn, &frame).map_err(Problem::Broken)
}

/// The files and folders in the folder `target`, by name.
fn list(home: &Dir, target: &VPath) -> Result<Vec<Entry>, Problem> {
    let refusal = |error| fs_refusal(error, target);
    // Opened without following a link, like every file (see `open_file`).
    let mut options = OpenOptions::new();
    options.read(true).custom_flags(PLAIN | libc::O_DIRECTORY);
    let folder = home
        .open_with(target.relative(), &options)
        .map(|folder| Dir::from_std_file(folder.into_std()))
        .map_err(refusal)?;
    let mut entries = Vec::new();
    for entry in folder.entries().map_err(refusal)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if target.is_root() && name == PARTIAL_DIR {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let (kind, size) = if kind.is_dir() {
            (Kind::Dir, 0)
        } else if kind.is_file() {
            match entry.metadata() {
                Ok(metadata) => (Kind::File, metadata.len()),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        entries.push(Entry { name, kind, size });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}
