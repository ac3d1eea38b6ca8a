//! One call, from `accept` to hang-up: log in (see [`crate::login`]), then serve requests (see
//! [`crate::cmd`]) until `quit`, the client hangs up, or a deadline passes. Each call runs on
//! its own thread (see `src/bin/server.rs`); what they share is in [`Server`].

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::cmd::{self, User};
use crate::conn::Conn;
use crate::login::{self, Caller, Step};
use crate::printable;
use crate::proto::{self, Reply, Request};
use crate::server::Server;
use crate::switchboard::Ticket;

// ANCHOR: problem
/// Why a request did not succeed. Each kind of failure is sorted where it happens; nothing
/// turns a disk error into a dropped call by accident.
pub enum Problem {
    /// The client is told why, and may go on: a bad path, the quota, a disk error.
    Refused(String),
    /// The client is told why, and the call ends: too many wrong passwords, an account the
    /// administrator removed.
    Closing { reply: String, why: String },
    /// The connection itself failed (or its deadline passed): nobody is left to tell.
    Broken(io::Error),
}

/// Refuses the request with a message.
pub fn refuse<T>(message: impl Into<String>) -> Result<T, Problem> {
    Err(Problem::Refused(message.into()))
}
// ANCHOR_END: problem

/// Why a call that was shed ended, in the log.
const SHED: &str = "shed, to make room for a newer caller";

/// Where a call is: not logged in yet, or a user.
enum State {
    Caller(Caller),
    User(User),
}

struct Session<'a> {
    server: &'a Server,
    conn: Conn,
    ticket: Ticket,
    peer: SocketAddr,
    state: State,
}

// ANCHOR: serve
/// Serves one call to its end: `call from ADDR`, then `call from ADDR ended` (with why, if
/// the server ended it).
pub fn serve(server: &Server, conn: Arc<TcpStream>, ticket: Ticket, accepted: Instant) {
    let Ok(peer) = conn.peer_addr() else { return };
    // Replies are small frames sent as they are ready: do not let Nagle hold them back.
    let _ = conn.set_nodelay(true);
    println!("call from {peer}");
    let mut session = Session {
        server,
        conn: Conn::new(conn, server.settings.timeouts, accepted),
        ticket,
        peer,
        state: State::Caller(Caller::default()),
    };
    let why = session.run();
    if let State::User(user) = &session.state {
        user.account.detach(session.ticket.id);
    }
    match why {
        None => println!("call from {peer} ended"),
        Some(why) => println!("call from {peer} ended: {}", printable(&why)),
    }
}
// ANCHOR_END: serve

impl Session<'_> {
    /// `ADDR: ` before login, `USER@ADDR: ` after: the start of this call's log lines.
    fn who(&self) -> String {
        match &self.state {
            State::Caller(_) => self.peer.to_string(),
            State::User(user) => user.who.clone(),
        }
    }

    // ANCHOR: run
    /// The comm loop: a request, a reply, until the end. Returns why the server ended the
    /// call, or `None` if the client did.
    fn run(&mut self) -> Option<String> {
        loop {
            // Every request is a frame: 4 bytes of length, then JSON (chapter 十二).
            self.conn.wait_for_request();
            let json: Value = match proto::recv(&mut self.conn) {
                Ok(Some(json)) => json,
                Ok(None) => return self.hung_up(),
                Err(error) => return Some(self.broken(error)),
            };
            let outcome = match Request::parse(json) {
                Ok(Request::Quit) => {
                    let _ = proto::send(&mut self.conn, &Reply::ok());
                    return None;
                }
                Ok(request) => self.handle(request),
                Err(message) => Err(Problem::Refused(message)),
            };
            // Most requests get one reply frame; ls and get send theirs themselves (a body
            // or the file follows it), and return None.
            let sent = match outcome {
                Ok(Some(reply)) => proto::send(&mut self.conn, &reply),
                Ok(None) => Ok(()),
                Err(Problem::Refused(message)) => {
                    println!("{}: refused: {}", self.who(), printable(&message));
                    proto::send(&mut self.conn, &Reply::error(message))
                }
                Err(Problem::Closing { reply, why }) => {
                    let _ = proto::send(&mut self.conn, &Reply::error(reply));
                    return Some(why);
                }
                Err(Problem::Broken(error)) => return Some(self.broken(error)),
            };
            if let Err(error) = sent {
                return Some(error.to_string());
            }
        }
    }
    // ANCHOR_END: run

    fn handle(&mut self, request: Request) -> Result<Option<Reply>, Problem> {
        match &mut self.state {
            State::Caller(caller) => {
                let user = match login::step(caller, request, self.server, self.peer)? {
                    Step::Challenge(reply) => return Ok(Some(reply)),
                    Step::Welcome(user) => user,
                };
                // Logged in: no more login deadline, and this call can no longer be shed.
                self.conn.logged_in();
                self.ticket.logged_in();
                user.account
                    .attach(self.ticket.id, Arc::clone(self.conn.stream()));
                let reply = cmd::cwd_reply(&user.cwd);
                self.state = State::User(user);
                Ok(Some(reply))
            }
            State::User(user) => {
                // Changes the administrator made meanwhile apply now.
                self.server.users();
                if let Some(why) = user.account.ended() {
                    return Err(Problem::Closing {
                        reply: why.clone(),
                        why,
                    });
                }
                cmd::apply(request, user, &mut self.conn, self.server)
            }
        }
    }

    /// The client's side of the connection ended. If that was the server's doing (the call
    /// was shed, or the account ended), say why before hanging up.
    fn hung_up(&mut self) -> Option<String> {
        let (reply, why) = if self.ticket.was_shed() {
            let reply = "the server is busy: too many callers are logging in; try again";
            (reply.to_owned(), SHED.to_owned())
        } else if let State::User(user) = &self.state
            && let Some(why) = user.account.ended()
        {
            (why.clone(), why)
        } else {
            return None;
        };
        let _ = proto::send(&mut self.conn, &Reply::error(reply));
        Some(why)
    }

    /// The connection cannot go on. If the cause is a broken frame (a bad length, bad JSON,
    /// a frame cut off), say so if the client still listens: we no longer know where its next
    /// frame would start, so we hang up. Returns why, for the log.
    fn broken(&mut self, error: io::Error) -> String {
        if matches!(
            error.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
        ) {
            let _ = proto::send(&mut self.conn, &Reply::error(error.to_string()));
        }
        if self.ticket.was_shed() {
            return SHED.into();
        }
        // The administrator ended the account while a transfer was running, say.
        if let State::User(user) = &self.state
            && let Some(why) = user.account.ended()
        {
            return why;
        }
        error.to_string()
    }
}
