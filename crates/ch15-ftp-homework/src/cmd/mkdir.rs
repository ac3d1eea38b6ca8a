//! `mkdir PATH`: make a folder. A folder spends a block and an entry: they are counted under
//! the account's lock, together with making it.

use super::{User, fs_refusal};
use crate::proto::Reply;
use crate::quota::Usage;
use crate::session::{Problem, refuse};

// ANCHOR: mkdir
pub fn mkdir(user: &User, path: &str) -> Result<Reply, Problem> {
    let target = user.resolve(path)?;
    if target.is_root() {
        return refuse("/: already exists");
    }
    let mut books = user.account.books();
    books
        .change(Usage::NONE, Usage::folder())
        .map_err(Problem::Refused)?;
    if let Err(error) = user.home().create_dir(target.relative()) {
        books.give_back(Usage::folder());
        return Err(fs_refusal(error, &target));
    }
    println!("{}: mkdir {:?}", user.who, target.to_string());
    Ok(Reply::ok())
}
// ANCHOR_END: mkdir
