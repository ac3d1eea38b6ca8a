//! 十五 作业, the scaffold's client: log in, then one command a line (`help` lists them).
//!
//! ```console
//! $ SOCKET_LESSONS_PASSWORD=... cargo run --bin client -- --user alice
//! logged in as alice, in /
//! ftp> put a.txt
//! ```
//!
//! A refused command prints `error: ...` and the next one runs; the exit status says whether
//! any failed.

use std::fs::File;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use anyhow::{Context, bail};
use ch15_ftp_homework::auth;
use ch15_ftp_homework::proto::{self, Entry, Kind, Reply, Request, Status, Trailer};
use clap::Parser;

const HELP: &str = "\
commands: pwd, cd DIR, ls [PATH], mkdir DIR, rm PATH, put FILE [REMOTE], get REMOTE [FILE],
          quota, help, quit";

fn main() -> support::Result {
    let args = Args::parse();
    let password = std::env::var("SOCKET_LESSONS_PASSWORD")
        .context("set SOCKET_LESSONS_PASSWORD to your password")?;

    // socket() + connect(), then the login: the password never leaves this machine.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;
    let cwd = login(&mut phone, &args.user, &password).context("login failed")?;
    println!("logged in as {}, in {cwd}", args.user);

    let mut failed = 0;
    for line in support::input("ftp> ") {
        let words: Vec<&str> = line.split_whitespace().collect();
        match run(&mut phone, &words) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) if error.is::<Refused>() => {
                println!("error: {error}");
                failed += 1;
            }
            Err(error) => return Err(error.context("connection lost").into()),
        }
    }
    support::ensure!(failed == 0, "{failed} command(s) failed");
    Ok(())
}

/// The login: `login` gets the salt and a challenge; the proof, made from the password, goes
/// back with `auth`. Returns the folder the server puts us in.
fn login(phone: &mut TcpStream, user: &str, password: &str) -> anyhow::Result<String> {
    let reply = call(phone, &Request::Login { user: user.into() })?;
    let (Some(salt), Some(kdf), Some(challenge)) = (reply.salt, reply.kdf, reply.challenge) else {
        bail!("the server's answer to login lacks a salt, a kdf or a challenge");
    };
    let salt = hex::decode(salt).context("a salt that is not hex")?;
    let challenge = auth::from_hex(&challenge).context("a challenge that is not 32 bytes")?;
    let salted = auth::salted_password(password, &salt, kdf).map_err(anyhow::Error::msg)?;
    let proof = auth::proof(&auth::client_key(&salted), user, &challenge);
    let reply = call(
        phone,
        &Request::Auth {
            proof: hex::encode(proof),
        },
    )?;
    Ok(reply.cwd.unwrap_or_default())
}

/// Runs one command; `Ok(false)` means quit.
fn run(phone: &mut TcpStream, words: &[&str]) -> anyhow::Result<bool> {
    match *words {
        [] => {}
        ["help"] => println!("{HELP}"),
        ["quit"] => {
            call(phone, &Request::Quit)?;
            return Ok(false);
        }
        ["pwd"] => println!("{}", call(phone, &Request::Pwd)?.cwd.unwrap_or_default()),
        ["cd", path] => {
            let reply = call(phone, &Request::Cd { path: path.into() })?;
            println!("{}", reply.cwd.unwrap_or_default());
        }
        ["ls"] | ["ls", _] => ls(phone, words.get(1).copied())?,
        ["mkdir", path] => drop(call(phone, &Request::Mkdir { path: path.into() })?),
        ["rm", path] => drop(call(phone, &Request::Rm { path: path.into() })?),
        ["quota"] => {
            let reply = call(phone, &Request::Quota)?;
            let (used, quota) = (reply.used.unwrap_or(0), reply.quota.unwrap_or(0));
            println!("using {used} of {quota} bytes");
        }
        ["put", file] => put(phone, file, base_name(file))?,
        ["put", file, remote] => put(phone, file, remote)?,
        ["get", remote] => get(phone, remote, base_name(remote))?,
        ["get", remote, file] => get(phone, remote, file)?,
        _ => {
            return Err(
                Refused(format!("unknown command {:?} (try help)", words.join(" "))).into(),
            );
        }
    }
    Ok(true)
}

/// ls: the reply says how many bytes of JSON follow, a list of entries.
fn ls(phone: &mut TcpStream, path: Option<&str>) -> anyhow::Result<()> {
    let reply = call(
        phone,
        &Request::Ls {
            path: path.map(String::from),
        },
    )?;
    let size = reply.size.context("ls: the reply gives no size")?;
    anyhow::ensure!(
        size <= 64 << 20,
        "ls: a listing of {size} bytes is too long"
    );
    let mut json = Vec::new();
    phone.take(size).read_to_end(&mut json)?;
    let entries: Vec<Entry> = serde_json::from_slice(&json).context("ls: a bad listing")?;
    for entry in entries {
        let kind = if entry.kind == Kind::Dir {
            "dir "
        } else {
            "file"
        };
        println!("{kind} {:>12}  {}", entry.size, entry.name);
    }
    Ok(())
}

/// put FILE REMOTE: the request, the bytes from where the server says, then the md5.
fn put(phone: &mut TcpStream, file: &str, remote: &str) -> anyhow::Result<()> {
    let mut local = File::open(file).map_err(|error| Refused(format!("{file}: {error}")))?;
    let size = local.metadata()?.len();
    let request = Request::Put {
        path: remote.into(),
        size,
    };
    // Requirement 9: start at the offset the server gives; for now, always at 0.
    let _offset = call(phone, &request)?.offset.unwrap_or(0);
    // Requirement 8: a progress bar while the bytes go. Requirement 7: their md5, as they go.
    let sent = io::copy(&mut (&mut local).take(size), phone)?;
    anyhow::ensure!(sent == size, "{file} changed while it was sent");
    proto::send(phone, &Trailer { md5: String::new() })?;
    let reply = reply(phone)?;
    println!(
        "put {file} -> {remote}: {} bytes",
        reply.size.unwrap_or(size)
    );
    Ok(())
}

/// get REMOTE FILE: the request, the size in the reply, the bytes, then the md5.
fn get(phone: &mut TcpStream, remote: &str, file: &str) -> anyhow::Result<()> {
    let request = Request::Get {
        path: remote.into(),
        offset: 0,
    };
    let size = call(phone, &request)?
        .size
        .context("get: the reply gives no size")?;
    // Requirement 7: write to a partial file, and give it its name only once the md5 matched.
    // Requirement 9: keep the partial file when the transfer is cut off, and go on from it.
    let mut local = File::create(file).map_err(|error| Refused(format!("{file}: {error}")))?;
    let got = io::copy(&mut phone.take(size), &mut local)?;
    anyhow::ensure!(
        got == size,
        "get {remote}: the server hung up after {got} of {size} bytes"
    );
    let _trailer: Trailer = proto::recv(phone)?.context("get: no md5 after the bytes")?;
    println!("get {remote} -> {file}: {size} bytes");
    Ok(())
}

/// Sends a request and reads its reply: an error reply is a [`Refused`].
fn call(phone: &mut TcpStream, request: &Request) -> anyhow::Result<Reply> {
    proto::send(phone, request)?;
    reply(phone)
}

fn reply(phone: &mut TcpStream) -> anyhow::Result<Reply> {
    let reply: Reply = proto::recv(phone)?.context("the server hung up")?;
    if reply.status == Status::Error {
        return Err(Refused(reply.error.unwrap_or_default()).into());
    }
    Ok(reply)
}

/// A command the server (or this client) refused: said, and the next command runs.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The last part of a path: `put docs/a.txt` stores `a.txt`.
fn base_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(path)
}

/// The homework's client (the scaffold).
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8015", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Your user name
    #[arg(long, env = "SOCKET_LESSONS_USER")]
    user: String,
}
