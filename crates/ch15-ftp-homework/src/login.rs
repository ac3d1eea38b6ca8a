//! Logging in, the only thing a caller may do before it: `login` sends the user's salt and a
//! fresh challenge, `auth` checks the proof (see [`crate::auth`] for the scheme). Everything
//! else waits for a [`User`], which only a good proof makes.

use std::net::SocketAddr;

use crate::auth::{self, Kdf, Key};
use crate::cmd::User;
use crate::proto::{Reply, Request};
use crate::server::Server;
use crate::session::{Problem, refuse};
use crate::users;
use crate::vpath::VPath;

/// Wrong passwords allowed on one call before it is closed.
const MAX_FAILED_LOGINS: u32 = 3;

/// A caller who has not logged in yet.
#[derive(Default)]
pub struct Caller {
    /// A login between its two steps: the challenge sent, the proof not yet received.
    pending: Option<Pending>,
    failed: u32,
}

struct Pending {
    name: String,
    challenge: Key,
    /// `None` for a user who does not exist: the proof will fail, as a wrong password would.
    stored: Option<Key>,
}

/// What a step of the login gave.
pub enum Step {
    /// The answer to `login`: the salt and a challenge.
    Challenge(Reply),
    /// A good proof: the user, logged in.
    Welcome(User),
}

/// The requests a caller may send: `login`, then `auth`.
pub fn step(
    caller: &mut Caller,
    request: Request,
    server: &Server,
    peer: SocketAddr,
) -> Result<Step, Problem> {
    match request {
        Request::Login { user } => Ok(Step::Challenge(login(caller, user, server))),
        Request::Auth { proof } => auth(caller, &proof, server, peer).map(Step::Welcome),
        _ => refuse("log in first"),
    }
}

// ANCHOR: login
/// Login, step 1: send the user's salt and a fresh challenge. A name that is not a user gets
/// the same kind of answer (see `Users::salt_for`), so names cannot be probed.
fn login(caller: &mut Caller, name: String, server: &Server) -> Reply {
    let users = server.users();
    let user = users
        .get(&name)
        .filter(|_| users::check_name(&name).is_ok());
    let kdf = user.map_or(Kdf::default(), |user| user.kdf);
    let stored = user.and_then(users::User::stored_key);
    let challenge = auth::random_key();
    let reply = Reply {
        salt: Some(users.salt_for(&name)),
        kdf: Some(kdf),
        challenge: Some(hex::encode(challenge)),
        ..Reply::ok()
    };
    caller.pending = Some(Pending {
        name,
        challenge,
        stored,
    });
    reply
}

/// Login, step 2: check the proof against this challenge (it is used up either way), and
/// open the user's account.
fn auth(
    caller: &mut Caller,
    proof: &str,
    server: &Server,
    peer: SocketAddr,
) -> Result<User, Problem> {
    let Some(pending) = caller.pending.take() else {
        return refuse("send login first");
    };
    let stored = match (pending.stored, auth::from_hex(proof)) {
        (Some(stored), Some(proof))
            if auth::verify(&stored, &pending.name, &pending.challenge, &proof) =>
        {
            stored
        }
        _ => {
            caller.failed += 1;
            // {:?}: a name with a newline in it must not write a line of its own in the log.
            println!("{peer}: failed login as {:?}", pending.name);
            let reply = "wrong user name or password".to_owned();
            if caller.failed >= MAX_FAILED_LOGINS {
                let why = format!("{MAX_FAILED_LOGINS} failed logins");
                return Err(Problem::Closing { reply, why });
            }
            return Err(Problem::Refused(reply));
        }
    };
    // ANCHOR_END: login

    let name = pending.name;
    let quota = server.users().get(&name).map_or(0, |user| user.quota);
    let account = server.account(&name, stored, quota).map_err(|error| {
        println!("{peer}: cannot open {name}'s home: {error}");
        Problem::Refused(format!("cannot open your home: {error}"))
    })?;
    let user = User {
        who: format!("{name}@{peer}"),
        name,
        account,
        cwd: VPath::root(),
    };
    println!("{}: logged in", user.who);
    Ok(user)
}
