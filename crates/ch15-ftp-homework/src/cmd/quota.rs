//! `quota`: what the user's files and folders spend, and what they may spend.

use super::User;
use crate::proto::Reply;

pub fn quota(user: &User) -> Reply {
    let books = user.account.books();
    Reply {
        used: Some(books.used.bytes),
        quota: Some(books.quota),
        ..Reply::ok()
    }
}
