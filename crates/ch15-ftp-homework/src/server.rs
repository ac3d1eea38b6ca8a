//! What all calls share: the settings, the switchboard, the users (as the users file says
//! now), and an [`Account`] for each user with a session open.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use anyhow::Context;

use crate::auth::Key;
use crate::conn::Timeouts;
use crate::quota::Account;
use crate::switchboard::Switchboard;
use crate::users::Users;

/// How the server is set up: its folder and its limits (the server's flags).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's folder: `home/<user>/` for each user.
    pub root: PathBuf,
    pub users_file: PathBuf,
    pub timeouts: Timeouts,
    pub max_calls: usize,
    pub max_waiting: usize,
    /// Files and folders a user may have.
    pub max_entries: u64,
    /// Bytes a second for each transfer, if limited.
    pub limit_rate: Option<u64>,
}

pub struct Server {
    pub settings: Settings,
    pub switchboard: Arc<Switchboard>,
    users: Mutex<Known>,
    accounts: Mutex<HashMap<String, Arc<Account>>>,
}

/// The users file as last read, and what it looked like on disk then.
struct Known {
    stamp: Option<Stamp>,
    users: Arc<Users>,
}

/// What changes when the users file is replaced: its inode, times and size.
type Stamp = (u64, u64, i64, i64, i64, i64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        m.len(),
    ))
}

impl Server {
    /// The server for `settings`: makes its folder, and gives the users file a secret if it
    /// has none yet (see [`Users::salt_for`]).
    pub fn new(settings: Settings) -> anyhow::Result<Server> {
        let homes = settings.root.join("home");
        std::fs::create_dir_all(&homes)
            .with_context(|| format!("cannot create {}", homes.display()))?;
        let mut users = Users::load(&settings.users_file)?;
        if users.secret.is_none() {
            users.save(&settings.users_file)?;
        }
        Ok(Server {
            switchboard: Arc::new(Switchboard::new(settings.max_calls, settings.max_waiting)),
            users: Mutex::new(Known {
                stamp: stamp(&settings.users_file),
                users: Arc::new(users),
            }),
            accounts: Mutex::default(),
            settings,
        })
    }

    /// A user's home on the server.
    pub fn home(&self, name: &str) -> PathBuf {
        self.settings.root.join("home").join(name)
    }

    // ANCHOR: users
    /// The users, as the users file says *now*: it is read again whenever it changed (one
    /// `stat` tells), and the accounts follow at once: a removed user's sessions end, so do
    /// those of a user whose password changed, and a new quota applies to the next request.
    pub fn users(&self) -> Arc<Users> {
        let mut known = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let now = stamp(&self.settings.users_file);
        if now != known.stamp {
            known.stamp = now;
            match Users::load(&self.settings.users_file) {
                Ok(users) => {
                    self.follow(&users);
                    known.users = Arc::new(users);
                }
                // Half-edited by hand, say: keep the users as they were.
                Err(error) => println!("users file not reloaded: {error:#}"),
            }
        }
        Arc::clone(&known.users)
    }

    fn follow(&self, users: &Users) {
        self.accounts().retain(|name, account| {
            let why = match users.get(name) {
                None => "your account was removed",
                Some(user) if user.stored_key() != Some(account.key) => {
                    "your password was changed: log in again"
                }
                Some(user) => {
                    account.books().quota = user.quota;
                    return true;
                }
            };
            account.end(why);
            false
        });
    }
    // ANCHOR_END: users

    /// The account of user `name` whose stored key is `key`: the one open already, or a new
    /// one (measuring the home), which replaces an account of that name for another key.
    pub fn account(&self, name: &str, key: Key, quota: u64) -> std::io::Result<Arc<Account>> {
        if let Some(account) = self.accounts().get(name)
            && account.key == key
        {
            return Ok(Arc::clone(account));
        }
        // Measured without holding the lock: a big home takes a moment.
        let fresh = Account::open(
            name,
            key,
            &self.home(name),
            quota,
            self.settings.max_entries,
        )?;
        let mut accounts = self.accounts();
        match accounts.get(name) {
            Some(account) if account.key == key => Ok(Arc::clone(account)),
            old => {
                if let Some(old) = old {
                    old.end("your password was changed: log in again");
                }
                let fresh = Arc::new(fresh);
                accounts.insert(name.to_owned(), Arc::clone(&fresh));
                Ok(fresh)
            }
        }
    }

    /// Keeps an eye on the users file, so that changes reach even the sessions that are
    /// waiting for their next request; forgets the accounts nobody uses.
    pub fn watch(&self) -> ! {
        loop {
            thread::sleep(Duration::from_millis(250));
            self.users();
            self.accounts()
                .retain(|_, account| Arc::strong_count(account) > 1);
        }
    }

    fn accounts(&self) -> MutexGuard<'_, HashMap<String, Arc<Account>>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }
}
