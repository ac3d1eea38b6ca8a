//! The users file: for each user, a salt, the stored key derived from their password (see
//! [`crate::auth`]), the key derivation's parameters and a quota. Never a password.
//!
//! ```json
//! {"secret": "5be1...",
//!  "users": {"alice": {"salt": "9f2c...", "stored_key": "41d0...",
//!                      "kdf": {"m": 19456, "t": 2, "p": 1}, "quota": 52428800}}}
//! ```
//!
//! The `secret` gives a user name that does not exist a salt that looks real and stays the
//! same, restart after restart, as a real user's does (see [`Users::salt_for`]).
//!
//! The server notices when the file changes, so `server useradd` and friends take effect at
//! once, even for the sessions already open.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Kdf, Key};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Users {
    /// 32 random bytes, hex: made once, kept with the users.
    #[serde(default)]
    pub secret: Option<String>,
    pub users: BTreeMap<String, User>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// 16 random bytes, hex.
    pub salt: String,
    /// SHA-256(HMAC(Argon2id(password, salt), "Client Key")), hex.
    pub stored_key: String,
    pub kdf: Kdf,
    /// Bytes this user may store, partial uploads included.
    pub quota: u64,
}

impl User {
    /// A user with a fresh salt, whose stored key is derived from `password`.
    pub fn new(password: &str, quota: u64, kdf: Kdf) -> anyhow::Result<User> {
        let salt = &auth::random_key()[..16];
        let salted = auth::salted_password(password, salt, kdf).map_err(anyhow::Error::msg)?;
        Ok(User {
            salt: hex::encode(salt),
            stored_key: hex::encode(auth::stored_key(&auth::client_key(&salted))),
            kdf,
            quota,
        })
    }

    /// The stored key, or `None` if the file holds something that is not one.
    pub fn stored_key(&self) -> Option<Key> {
        auth::from_hex(&self.stored_key)
    }
}

impl Users {
    /// Reads the users file; a file that does not exist yet means no users.
    pub fn load(path: &Path) -> anyhow::Result<Users> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a valid users file", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Users::default()),
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the users file atomically: to a temporary file beside it, flushed to disk,
    /// then renamed over the old one (`tempfile`'s `persist`), so a crash leaves the old file
    /// or the new, never half. Only its owner may read it: the temporary file is made with
    /// mode 0600 (a stolen stored key cannot log in, but it allows guessing passwords
    /// offline). A file without a secret gets one.
    pub fn save(&mut self, path: &Path) -> anyhow::Result<()> {
        self.secret
            .get_or_insert_with(|| hex::encode(auth::random_key()));
        let json = serde_json::to_vec_pretty(self)?;
        let folder = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(folder)
            .with_context(|| format!("cannot write a file in {}", folder.display()))?;
        file.write_all(&json)?;
        file.as_file().sync_all()?;
        file.persist(path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    pub fn get_mut(&mut self, name: &str) -> anyhow::Result<&mut User> {
        self.users
            .get_mut(name)
            .with_context(|| format!("no user called '{name}'"))
    }

    /// The salt to send for `name`. A user who does not exist gets one too, made from the
    /// file's secret and the name: it looks like a real salt and never changes, so the login
    /// exchange does not tell a stranger which names exist.
    pub fn salt_for(&self, name: &str) -> String {
        match self.get(name) {
            Some(user) => user.salt.clone(),
            None => {
                let secret = self.secret.as_deref().and_then(auth::from_hex);
                let fake = auth::proof(&secret.unwrap_or_default(), name, &[0; 32]);
                hex::encode(&fake[..16])
            }
        }
    }
}

/// A user name is 1 to 32 lower-case letters, digits, `-` or `_`, starting with a letter:
/// it is also the name of the user's home folder.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let good = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !good {
        bail!(
            "{name:?} is not a valid user name: use 1 to 32 of a-z, 0-9, - and _, starting with a letter"
        );
    }
    Ok(())
}

/// The rules for a password, however it arrives (typed, or in SOCKET_LESSONS_PASSWORD): 8 to
/// 1024 characters, not the user's name.
pub fn check_password(name: &str, password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < 8 {
        return Err("use at least 8 characters".into());
    }
    if length > 1024 {
        return Err("use at most 1024 characters".into());
    }
    if password == name {
        return Err("do not use the user name as the password".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain() {
        for good in ["alice", "bob-2", "c_d"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Alice",
            "../x",
            "a b",
            "2bob",
            "x".repeat(33).as_str(),
            "home/x",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_file_round_trips_and_holds_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut users = Users::load(&path).unwrap();
        let fast = Kdf { m: 8, t: 1, p: 1 };
        users.users.insert(
            "alice".into(),
            User::new("s3cret-pass", 1000, fast).unwrap(),
        );
        users.save(&path).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret-pass"));
        let mut again = Users::load(&path).unwrap();
        assert_eq!(again.get("alice").unwrap().quota, 1000);
        assert!(again.get("alice").unwrap().stored_key().is_some());

        // The secret stays with the file, and so does a stranger's salt.
        let stranger = again.salt_for("mallory");
        assert_eq!(stranger.len(), again.get("alice").unwrap().salt.len());
        again.save(&path).unwrap();
        assert_eq!(Users::load(&path).unwrap().salt_for("mallory"), stranger);
        assert_ne!(again.salt_for("eve"), stranger);
    }

    #[test]
    fn passwords_follow_the_rules() {
        assert!(check_password("alice", "long enough").is_ok());
        assert!(check_password("alice", "short").is_err());
        assert!(check_password("alice12345", "alice12345").is_err());
        assert!(check_password("alice", &"x".repeat(1025)).is_err());
    }
}
