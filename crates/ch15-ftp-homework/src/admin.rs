//! The user management subcommands: `server useradd alice --quota 50M`, `server users`, ...
//! They edit the users file; a running server notices the change and applies it at once, to
//! the sessions already open too.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use indicatif::HumanBytes;

use crate::auth::Kdf;
use crate::quota::measure;
use crate::users::{self, User, Users};

/// Where a script gives the password, instead of typing it.
pub const PASSWORD_VAR: &str = "SOCKET_LESSONS_PASSWORD";

#[derive(Subcommand)]
pub enum Admin {
    /// Add a user; the password is asked for twice, or taken from SOCKET_LESSONS_PASSWORD
    Useradd {
        name: String,
        /// How much the user may store: 500K, 50M, 2G
        #[arg(long, default_value = "100M", value_parser = support::parse_size)]
        quota: u64,
    },
    /// Remove a user (their files stay, unless --purge)
    Userdel {
        name: String,
        #[arg(long)]
        purge: bool,
    },
    /// Change a user's password (asked for twice, or from SOCKET_LESSONS_PASSWORD)
    Passwd { name: String },
    /// Set a user's quota: 500K, 50M, 2G
    Quota {
        name: String,
        #[arg(value_parser = support::parse_size)]
        size: u64,
    },
    /// List the users, their quotas and what they use
    Users,
}

/// Runs a subcommand on the server's folder `dir` and its users file.
pub fn run(command: Admin, dir: &Path, users_file: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut users = Users::load(users_file)?;
    let home = |name: &str| dir.join("home").join(name);
    match command {
        Admin::Useradd { name, quota } => {
            users::check_name(&name)?;
            anyhow::ensure!(users.get(&name).is_none(), "user '{name}' exists already");
            let password = new_password(&name)?;
            users
                .users
                .insert(name.clone(), User::new(&password, quota, Kdf::default())?);
            std::fs::create_dir_all(home(&name))?;
            users.save(users_file)?;
            println!("added {name} with a quota of {}", HumanBytes(quota));
        }
        Admin::Userdel { name, purge } => {
            anyhow::ensure!(
                users.users.remove(&name).is_some(),
                "no user called '{name}'"
            );
            users.save(users_file)?;
            if purge {
                std::fs::remove_dir_all(home(&name)).ok();
                println!("removed {name} and their files");
            } else {
                println!(
                    "removed {name}; their files stay in {}",
                    home(&name).display()
                );
            }
        }
        Admin::Passwd { name } => {
            users.get_mut(&name)?;
            let password = new_password(&name)?;
            let user = users.get_mut(&name)?;
            *user = User::new(&password, user.quota, user.kdf)?;
            users.save(users_file)?;
            println!("changed {name}'s password");
        }
        Admin::Quota { name, size } => {
            users.get_mut(&name)?.quota = size;
            users.save(users_file)?;
            println!("{name} may now store {}", HumanBytes(size));
        }
        Admin::Users => {
            for (name, user) in &users.users {
                let used = measure(&home(name)).bytes;
                let (used, quota) = (
                    HumanBytes(used).to_string(),
                    HumanBytes(user.quota).to_string(),
                );
                println!("{name:<16} uses {used:>10} of {quota:>10}");
            }
        }
    }
    Ok(())
}

/// A new password for `name`: from SOCKET_LESSONS_PASSWORD (for scripts), or typed twice
/// without echo, and asked again (up to 3 times) if the two differ or break the rules. The
/// rules are the same either way (see [`users::check_password`]).
fn new_password(name: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_VAR) {
        users::check_password(name, &password).map_err(|rule| anyhow!("{PASSWORD_VAR}: {rule}"))?;
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for a password: set {PASSWORD_VAR}");
    }
    for _ in 0..3 {
        let first = rpassword::prompt_password(format!("password for {name}: "))?;
        if let Err(rule) = users::check_password(name, &first) {
            eprintln!("{rule}; try again");
            continue;
        }
        if rpassword::prompt_password("again: ")? != first {
            eprintln!("the two passwords differ; try again");
            continue;
        }
        return Ok(first);
    }
    bail!("no password set after 3 tries")
}
