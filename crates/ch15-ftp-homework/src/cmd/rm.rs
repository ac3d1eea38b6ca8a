//! `rm PATH`: remove a file, or an empty folder; an interrupted upload of that file goes
//! too (unless it is running). What leaves the disk is given back under the account's lock.

use super::{Found, User, fs_refusal, look, not_plain, partial_path};
use crate::proto::Reply;
use crate::quota::Usage;
use crate::session::{Problem, refuse};

// ANCHOR: rm
pub fn rm(user: &User, path: &str) -> Result<Reply, Problem> {
    let target = user.resolve(path)?;
    if target.is_root() {
        return refuse("cannot remove your home");
    }
    let home = user.home();
    let mut books = user.account.books();

    // The bytes of an interrupted upload of this file, unless an upload is using them now.
    let partial = partial_path(&target);
    let mut had_partial = false;
    if !books.uploads.contains(&target)
        && let Ok(metadata) = home.symlink_metadata(&partial)
        && metadata.is_file()
    {
        home.remove_file(&partial)
            .map_err(|error| fs_refusal(error, &target))?;
        books.give_back(Usage::file(metadata.len()));
        had_partial = true;
    }

    match look(home, &target)? {
        Found::File { len } => {
            home.remove_file(target.relative())
                .map_err(|error| fs_refusal(error, &target))?;
            books.give_back(Usage::file(len));
        }
        Found::Folder => {
            home.remove_dir(target.relative())
                .map_err(|error| fs_refusal(error, &target))?;
            books.give_back(Usage::folder());
        }
        Found::Other => return not_plain(&target),
        // Only an interrupted upload had that name: removing it was the whole job.
        Found::Nothing if had_partial => {}
        Found::Nothing => return refuse(format!("{target}: no such file or directory")),
    }
    println!("{}: rm {:?}", user.who, target.to_string());
    Ok(Reply::ok())
}
// ANCHOR_END: rm
