//! 十五 作业 — the homework's server: a multi-user FTP server.
//!
//! `server` serves the folder `--dir` (each user's home is `home/<user>` in it); the
//! subcommands manage users: `server useradd alice --quota 50M`, `server users`, ...

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use ch15_ftp_homework::admin::{self, Admin};
use ch15_ftp_homework::conn::Timeouts;
use ch15_ftp_homework::proto::{self, Reply};
use ch15_ftp_homework::server::{Server, Settings};
use ch15_ftp_homework::session;
use clap::Parser;
use socket2::{Domain, Socket, Type};

// ANCHOR: main
fn main() -> support::Result {
    let args = Args::parse();
    let users_file = args
        .users
        .clone()
        .unwrap_or_else(|| args.dir.join("users.json"));
    if let Some(command) = args.admin {
        return Ok(admin::run(command, &args.dir, &users_file)?);
    }
    let server = Arc::new(Server::new(settings(&args, users_file))?);

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
    if server.users().users.is_empty() {
        let dir = args.dir.display();
        println!("no users yet: add one with `server useradd NAME --dir {dir}`");
    }
    // Changes to the users file reach the open sessions at once.
    let watcher = Arc::clone(&server);
    thread::spawn(move || watcher.watch());

    // The link loop, with a thread for each call (ch14's ThreadingMixIn): one user's long
    // transfer, or silence, never holds up another. The switchboard decides who gets a line.
    loop {
        let (conn, addr) = match phone.accept() {
            Ok(call) => call,
            Err(error) => {
                // Out of file descriptors, say: the caller waits in the queue meanwhile.
                println!("accept failed: {error}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let accepted = Instant::now();
        let conn = Arc::new(conn);
        let Some(ticket) = server.switchboard.admit(&conn) else {
            full(&conn, addr, server.switchboard.max_calls);
            continue;
        };
        let server = Arc::clone(&server);
        // A call's thread needs little stack: a thousand of them fit in 256 MiB.
        let spawned = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || session::serve(&server, conn, ticket, accepted));
        if let Err(error) = spawned {
            println!("call from {addr} ended: no thread for it: {error}");
        }
    }
}
// ANCHOR_END: main

/// Every line is taken by a logged-in user: say so, and hang up.
fn full(conn: &TcpStream, addr: SocketAddr, calls: usize) {
    println!("call from {addr}");
    let _ = conn.set_write_timeout(Some(Duration::from_secs(1)));
    let why = format!("the server is full: {calls} calls at once; try again later");
    let _ = proto::send(&mut &*conn, &Reply::error(why.clone()));
    println!("call from {addr} ended: {why}");
}

// ANCHOR: limits
/// The server's settings from its flags. The caps on calls, unless given, follow from how
/// many file descriptors the process may open: each call needs a few (its socket, a file,
/// a copy of it for flushing, a folder being read), and the server keeps some for itself.
fn settings(args: &Args, users_file: PathBuf) -> Settings {
    // Ask for as many descriptors as the system allows (the usual soft limit, 1024, would
    // stop a busy server short of a thousand users).
    let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fit = usize::try_from(descriptors.saturating_sub(64) / 5).unwrap_or(usize::MAX);
    let max_calls = args.max_calls.unwrap_or(fit.clamp(1, 4096));
    Settings {
        root: args.dir.clone(),
        users_file,
        timeouts: Timeouts {
            idle: args.idle_timeout,
            login: args.login_timeout,
            request: args.request_timeout,
        },
        max_calls,
        max_waiting: args.max_waiting.unwrap_or(max_calls / 2),
        max_entries: args.max_entries,
        limit_rate: args.limit_rate,
    }
}
// ANCHOR_END: limits

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
    /// Seconds a logged-in caller may stay silent between requests
    #[arg(long, default_value = "300", value_parser = support::parse_secs)]
    idle_timeout: Duration,
    /// Seconds a caller has to log in, from the moment the call is taken
    #[arg(long, default_value = "30", value_parser = support::parse_secs)]
    login_timeout: Duration,
    /// Seconds for a whole request, and again for each 64 KiB of a transfer
    #[arg(long, default_value = "30", value_parser = support::parse_secs)]
    request_timeout: Duration,
    /// Calls at once [default: from the file descriptor limit, at most 4096]
    #[arg(long)]
    max_calls: Option<usize>,
    /// Calls at once that have not logged in yet [default: half of --max-calls]
    #[arg(long)]
    max_waiting: Option<usize>,
    /// Files and folders each user may have
    #[arg(long, default_value_t = 10_000)]
    max_entries: u64,
    /// Bytes a second for each transfer, both ways, e.g. 5M [default: no limit]
    #[arg(long, value_parser = support::parse_rate)]
    limit_rate: Option<u64>,
    #[command(subcommand)]
    admin: Option<Admin>,
}
