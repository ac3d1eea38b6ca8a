//! The users file, `DIR/users.json`, as the chapter's: for each user a salt, the stored key
//! derived from their password (see `ch15_ftp_homework::auth`), the key derivation's
//! parameters and a quota. Never a password.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use ch15_ftp_homework::auth::{self, Kdf, Key};
use serde_json::{Value, json};

/// One user, as the server needs them at login.
pub struct User {
    pub salt: Vec<u8>,
    pub stored_key: Key,
    pub kdf: Kdf,
    pub quota: u64,
}

/// Every user in `DIR/users.json` (none if there is no file yet).
pub fn load(dir: &Path) -> anyhow::Result<BTreeMap<String, User>> {
    let path = dir.join("users.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let file: Value = serde_json::from_str(&text)?;
    let mut users = BTreeMap::new();
    for (name, user) in file["users"].as_object().into_iter().flatten() {
        let bad = || format!("{}: a bad entry for {name}", path.display());
        let salt = user["salt"]
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .with_context(bad)?;
        let stored_key = user["stored_key"]
            .as_str()
            .and_then(auth::from_hex)
            .with_context(bad)?;
        let kdf = serde_json::from_value(user["kdf"].clone()).with_context(bad)?;
        let quota = user["quota"].as_u64().with_context(bad)?;
        users.insert(
            name.clone(),
            User {
                salt,
                stored_key,
                kdf,
                quota,
            },
        );
    }
    Ok(users)
}

/// `server useradd NAME`: adds a user to the file, and makes their home, `DIR/home/NAME`.
pub fn add(dir: &Path, name: &str, password: &str, quota: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{name:?} is not a user name: use a-z and 0-9"
    );
    let path = dir.join("users.json");
    let mut file: Value = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => json!({"users": {}}),
    };
    anyhow::ensure!(
        file["users"].get(name).is_none(),
        "user {name} exists already"
    );
    let kdf = Kdf::default();
    let salt = &auth::random_key()[..16];
    let salted = auth::salted_password(password, salt, kdf).map_err(anyhow::Error::msg)?;
    file["users"][name] = json!({
        "salt": hex::encode(salt),
        "stored_key": hex::encode(auth::stored_key(&auth::client_key(&salted))),
        "kdf": kdf,
        "quota": quota,
    });
    std::fs::create_dir_all(dir.join("home").join(name))?;
    std::fs::write(&path, serde_json::to_vec_pretty(&file)?)?;
    Ok(())
}
