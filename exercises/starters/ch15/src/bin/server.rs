//! 十五 作业, the scaffold's server. `server` serves the folder `--dir` (each user's home is
//! `home/NAME` in it); `server useradd NAME --quota SIZE` adds a user, with the password from
//! SOCKET_LESSONS_PASSWORD.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use homework::session::Session;
use socket2::{Domain, Socket, Type};

fn main() -> support::Result {
    let args = Args::parse();
    if let Some(Admin::Useradd { name, quota }) = args.admin {
        let password = std::env::var("SOCKET_LESSONS_PASSWORD")
            .context("set SOCKET_LESSONS_PASSWORD to the new user's password")?;
        homework::users::add(&args.dir, &name, &password, quota)?;
        println!("added {name} with a quota of {quota} bytes");
        return Ok(());
    }
    std::fs::create_dir_all(args.dir.join("home"))
        .with_context(|| format!("cannot create {}", args.dir.display()))?;

    // socket(), SO_REUSEADDR, bind(), listen(): the phone of every chapter.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(128)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop. Requirement 2: several users at once (a thread per connection, as in
    // chapter 十四); for now, one at a time.
    loop {
        let (conn, addr) = phone.accept()?;
        println!("call from {addr}");
        match Session::new(conn, &args.dir).run() {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The homework's server (the scaffold).
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8015", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The server's folder: users.json and each user's home (home/NAME)
    #[arg(long, global = true, default_value = "ftp-root")]
    dir: PathBuf,
    #[command(subcommand)]
    admin: Option<Admin>,
}

#[derive(Subcommand)]
enum Admin {
    /// Add a user, with the password in SOCKET_LESSONS_PASSWORD
    Useradd {
        name: String,
        /// How much the user may store: 500K, 50M, 2G
        #[arg(long, default_value = "100M", value_parser = support::parse_size)]
        quota: u64,
    },
}
