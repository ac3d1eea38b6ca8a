//! 十五 作业 — the homework's server: a multi-user FTP server.
//!
//! `server` serves the folder `--dir` (each user's home is `home/<user>` in it); the
//! subcommands manage users: `server useradd alice --quota 50M`, `server users`, ...

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use ch15_ftp_homework::auth::Kdf;
use ch15_ftp_homework::quota::disk_usage;
use ch15_ftp_homework::session::Server;
use ch15_ftp_homework::users::{self, User, Users};
use clap::{Parser, Subcommand};
use socket2::{Domain, Socket, Type};

fn main() -> support::Result {
    let args = Args::parse();
    let users_file = args
        .users
        .clone()
        .unwrap_or_else(|| args.dir.join("users.json"));
    if let Some(command) = args.admin {
        return admin(command, &args.dir, &users_file);
    }
    // Each connection is a file descriptor: allow as many as the system lets us (the usual
    // soft limit, 1024, would stop a busy server short of a thousand users).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let idle = Duration::from_secs(args.idle_timeout);
    let server = Server::new(args.dir.clone(), users_file, idle)
        .with_context(|| format!("cannot use {}", args.dir.display()))?;

    // socket(), SO_REUSEADDR, bind(), listen(): the phone of every chapter. The queue is long
    // (1024, where the article has 5), so a burst of callers waits instead of being refused.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(1024)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop, with a thread for each call (ch14's ThreadingMixIn): one user's long
    // transfer, or silence, never holds up another.
    let server = Arc::new(server);
    loop {
        let conn = match phone.accept() {
            Ok((conn, _)) => conn,
            Err(error) => {
                // Out of file descriptors, say: wait a moment rather than spin.
                println!("accept failed: {error}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let server = Arc::clone(&server);
        // A connection's thread needs little stack: a thousand of them fit in 256 MiB.
        let spawned = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || server.serve(conn));
        if let Err(error) = spawned {
            println!("cannot start a thread for a connection, dropping it: {error}");
        }
    }
}

/// The user management subcommands: they edit the users file, which the running server reads
/// at each login.
fn admin(command: Admin, dir: &Path, users_file: &Path) -> support::Result {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut users = Users::load(users_file)?;
    match command {
        Admin::Useradd { name, quota } => {
            users::check_name(&name)?;
            support::ensure!(users.get(&name).is_none(), "user '{name}' exists already");
            let password = new_password(&name)?;
            users
                .users
                .insert(name.clone(), User::new(&password, quota, Kdf::default())?);
            std::fs::create_dir_all(dir.join("home").join(&name))?;
            users.save(users_file)?;
            println!("added {name} with a quota of {}", human(quota));
        }
        Admin::Userdel { name, purge } => {
            support::ensure!(
                users.users.remove(&name).is_some(),
                "no user called '{name}'"
            );
            users.save(users_file)?;
            let home = dir.join("home").join(&name);
            if purge {
                std::fs::remove_dir_all(&home).ok();
                println!("removed {name} and their files");
            } else {
                println!("removed {name}; their files stay in {}", home.display());
            }
        }
        Admin::Passwd { name } => {
            let password = new_password(&name)?;
            let user = users.get_mut(&name)?;
            *user = User::new(&password, user.quota, user.kdf)?;
            users.save(users_file)?;
            println!("changed {name}'s password");
        }
        Admin::Quota { name, size } => {
            users.get_mut(&name)?.quota = size;
            users.save(users_file)?;
            println!("{name} may now store {}", human(size));
        }
        Admin::Users => {
            for (name, user) in &users.users {
                let home = dir.join("home").join(name);
                let used = cap_std::fs::Dir::open_ambient_dir(&home, cap_std::ambient_authority())
                    .and_then(|home| disk_usage(&home))
                    .unwrap_or(0);
                println!(
                    "{name:<16} uses {:>10} of {:>10}",
                    human(used),
                    human(user.quota)
                );
            }
        }
    }
    Ok(())
}

/// A new password: from FTP_PASSWORD (for scripts), or typed twice without echo.
fn new_password(name: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("FTP_PASSWORD") {
        anyhow::ensure!(!password.is_empty(), "FTP_PASSWORD is empty");
        return Ok(password);
    }
    let first = rpassword::prompt_password(format!("password for {name}: "))
        .context("no terminal to ask for a password: set FTP_PASSWORD")?;
    let again = rpassword::prompt_password("again: ")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    anyhow::ensure!(first.chars().count() >= 8, "use at least 8 characters");
    Ok(first)
}

/// Sizes as people write them: 50M is 50 MiB, 1.5G is 1.5 GiB.
fn parse_size(text: &str) -> Result<u64, String> {
    parse_size::Config::new()
        .with_binary()
        .parse_size(text)
        .map_err(|error| format!("{error} (try 500K, 50M or 2G)"))
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

/// The server of 十五 作业: a multi-user FTP server with homes, quotas and resumable,
/// md5-checked transfers.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8015", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The server's folder: the users file and each user's home (home/<user>)
    #[arg(long, global = true, default_value = "ftp-root")]
    dir: PathBuf,
    /// The users file [default: <dir>/users.json]
    #[arg(long, global = true)]
    users: Option<PathBuf>,
    /// Seconds a connection may stay silent before it is dropped
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    #[command(subcommand)]
    admin: Option<Admin>,
}

#[derive(Subcommand)]
enum Admin {
    /// Add a user; the password is asked for twice, or taken from FTP_PASSWORD
    Useradd {
        name: String,
        /// How much the user may store: 500K, 50M, 2G
        #[arg(long, default_value = "100M", value_parser = parse_size)]
        quota: u64,
    },
    /// Remove a user (their files stay, unless --purge)
    Userdel {
        name: String,
        #[arg(long)]
        purge: bool,
    },
    /// Change a user's password
    Passwd { name: String },
    /// Set a user's quota: 500K, 50M, 2G
    Quota {
        name: String,
        #[arg(value_parser = parse_size)]
        size: u64,
    },
    /// List the users, their quotas and what they use
    Users,
}
