//! `cd PATH`: move to a folder. The current folder is only a path in the session (see
//! `vpath`); moving checks that the path names a folder, and nothing else.

use super::{Found, User, cwd_reply, look};
use crate::proto::Reply;
use crate::session::{Problem, refuse};

pub fn cd(user: &mut User, path: &str) -> Result<Reply, Problem> {
    let target = user.resolve(path)?;
    match look(user.home(), &target)? {
        Found::Folder => {}
        Found::Nothing => return refuse(format!("{target}: no such file or directory")),
        Found::File { .. } | Found::Other => return refuse(format!("{target}: not a directory")),
    }
    user.cwd = target;
    Ok(cwd_reply(&user.cwd))
}
