//! 十五 作业 — the homework, step by step. This scaffold speaks the chapter's protocol (every
//! request and reply a chapter 十二 frame, see the lesson's table) and has the login's
//! exchange in place; the nine requirements are yours, one at a time:
//!
//! 1. encrypted login: the server checks the proof (`session.rs`, `auth`); so far it takes any
//! 2. several users at once: a thread per connection (`bin/server.rs`); so far one at a time
//! 3. a home for each user, and nothing outside it: `Session::path` (`session.rs`); so far a
//!    path such as `../bob/x` leads anywhere
//! 4. a quota per user: refuse a put that would go over it, and answer `quota`
//! 5. `cd`, and 6. `ls`: not answered yet
//! 7. put and get with md5: the server sends and checks the md5 after the bytes, the client
//!    too; a file gets its name only once its md5 matched
//! 8. a progress bar in the client (`bin/client.rs`), on a terminal only
//! 9. resume: a put or a get that was cut off goes on where it stopped
//!
//! `scripts/exercise check ch15-N` checks requirement N (see the lesson's Exercises).

pub mod session;
pub mod users;
