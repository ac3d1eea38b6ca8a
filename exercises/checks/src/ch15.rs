//! ch15-1 to ch15-9: the homework's nine requirements, one check each. The checks speak the
//! chapter's protocol with its own library (`proto` for the frames, `auth` for the login), so
//! they drive the scaffold, a student's server and the chapter's server alike; where a
//! requirement is the client's (md5, the progress bar, resume), they run the student's client,
//! through a proxy that records, slows, cuts or damages the bytes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ch15_ftp_homework::auth;
use ch15_ftp_homework::proto::{self, Entry, Kind, Reply, Request, Status, Trailer};
use md5::{Digest, Md5};
use tempfile::TempDir;

use crate::harness::{
    Ctx, Outcome, Plan, Proxy, Ran, Step, WAIT, eventually, run_command_for, spawn_server,
};

/// The checks of requirement `n`.
pub fn steps(n: u32) -> Vec<Step> {
    match n {
        1 => vec![
            step("the right password logs in", login_right),
            step(
                "a wrong password is refused, and nothing is served after it",
                login_wrong,
            ),
            step("a user who does not exist is refused", login_unknown),
            step(
                "a proof from an earlier login is refused (a new challenge each time)",
                login_replay,
            ),
            step(
                "your client logs in, and the password never crosses the wire",
                login_client,
            ),
        ],
        2 => vec![step(
            "while alice is logged in, bob logs in and both are served",
            two_users,
        )],
        3 => vec![
            step("a file alice puts is hers: bob cannot get it", homes_own),
            step("`..` and `/..` lead nowhere outside the home", homes_dots),
            step(
                "a put of ../../x stores nothing outside the home",
                homes_put_out,
            ),
            step(
                "a symbolic link in the home that leads out is not followed",
                homes_symlink,
            ),
        ],
        4 => vec![
            step("`quota` says what is used, and what may be", quota_shown),
            step(
                "a put over the quota is refused, and nothing of it is kept",
                quota_refused,
            ),
            step("what rm frees can be used again", quota_freed),
        ],
        5 => vec![
            step("cd into a folder, pwd, and paths relative to it", cd_into),
            step("cd .., cd /, and nowhere above the home", cd_up),
            step("cd to nothing, or to a file, is refused", cd_refused),
            step("your client's cd and pwd", cd_client),
        ],
        6 => vec![
            step("ls lists the files and folders here, with sizes", ls_here),
            step(
                "ls PATH lists another folder; an empty folder is an empty list",
                ls_path,
            ),
            step("your client's ls", ls_client),
        ],
        7 => vec![
            step("a put is answered with the md5 of what arrived", md5_put),
            step(
                "a put whose md5 does not match is refused, and not kept",
                md5_put_wrong,
            ),
            step("a get is followed by the file's md5", md5_get),
            step("your client puts and gets a file, whole", md5_client),
            step(
                "your client refuses a download damaged on the way",
                md5_client_damaged,
            ),
        ],
        8 => vec![
            step(
                "without a terminal, no progress bar in the output",
                bar_piped,
            ),
            step("on a terminal, a bar that moves during a put", bar_terminal),
        ],
        9 => vec![
            step("a put cut off is resumed where it stopped", resume_put),
            step(
                "a get from an offset sends the rest, and the whole file's md5",
                resume_get,
            ),
            step(
                "your client resumes a put it was killed in",
                resume_client_put,
            ),
            step(
                "your client resumes a get it was killed in",
                resume_client_get,
            ),
        ],
        _ => panic!("there is no requirement {n}"),
    }
}

fn step(what: &'static str, run: fn(&Ctx) -> Outcome) -> Step {
    Step { what, run }
}

/// A server folder with users in it, and a local folder for each user's client.
struct Site {
    tmp: TempDir,
    bins: PathBuf,
}

fn password(user: &str) -> String {
    format!("{user}-password")
}

impl Site {
    /// A site with these users and quotas (`10K`, `50M`).
    fn new(ctx: &Ctx, users: &[(&str, &str)]) -> Result<Site, String> {
        let site = Site {
            tmp: tempfile::tempdir().expect("a temporary folder"),
            bins: ctx.bins.clone(),
        };
        for (user, quota) in users {
            let mut command = Command::new(ctx.bin("server"));
            command
                .args(["useradd", user, "--quota", quota, "--dir"])
                .arg(site.root())
                .env("SOCKET_LESSONS_PASSWORD", password(user))
                .env("FTP_PASSWORD", password(user));
            let ran = run_command_for(command, "", WAIT);
            if !ran.success {
                return Err(format!(
                    "`server useradd {user} --quota {quota} --dir DIR` (with the password in \
                     SOCKET_LESSONS_PASSWORD) failed:\n{}",
                    ran.shown()
                ));
            }
            std::fs::create_dir_all(site.local(user)).expect("a local folder");
        }
        Ok(site)
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("root")
    }

    fn home(&self, user: &str) -> PathBuf {
        self.root().join("home").join(user)
    }

    fn local(&self, user: &str) -> PathBuf {
        self.tmp.path().join("local").join(user)
    }

    fn serve(&self) -> Result<(testkit::Program, SocketAddr), String> {
        let mut command = Command::new(self.bins.join("server"));
        command
            .args(["--addr", "127.0.0.1:0", "--dir"])
            .arg(self.root());
        spawn_server(command)
    }

    /// Runs `user`'s client, in their local folder, with these commands.
    fn client(&self, addr: SocketAddr, user: &str, script: &str) -> Ran {
        run_command_for(self.client_command(addr, user), script, WAIT * 2)
    }

    fn client_command(&self, addr: SocketAddr, user: &str) -> Command {
        let mut command = Command::new(self.bins.join("client"));
        command
            .args(["--addr", &addr.to_string(), "--user", user])
            .current_dir(self.local(user))
            .env("SOCKET_LESSONS_PASSWORD", password(user))
            // The name an older ch15 read; the chapter's demo sets both, too.
            .env("FTP_PASSWORD", password(user));
        command
    }

    /// Writes a local file of `size` bytes (not all the same) for `user`.
    fn file(&self, user: &str, name: &str, size: usize) -> Vec<u8> {
        let bytes = bytes(size);
        std::fs::write(self.local(user).join(name), &bytes).expect("write a file");
        bytes
    }
}

fn bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn md5(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A connection that speaks the protocol, as the check's own client.
struct Conn(TcpStream);

impl Conn {
    fn dial(addr: SocketAddr) -> Result<Conn, String> {
        crate::harness::dial(addr).map(Conn)
    }

    /// Sends a request and reads one reply frame.
    fn call(&mut self, request: &Request) -> Result<Reply, String> {
        proto::send(&mut self.0, request).map_err(|e| format!("sending {}: {e}", json(request)))?;
        self.reply(request)
    }

    fn reply(&mut self, request: &Request) -> Result<Reply, String> {
        match proto::recv::<Reply>(&mut self.0) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(format!("the server hung up after {}", json(request))),
            Err(e) => Err(format!(
                "no reply to {} (within {WAIT:?}, or not a reply frame): {e}",
                json(request)
            )),
        }
    }

    /// Both steps of the login, with the proof made from `password`. Returns the reply to
    /// `auth`, and the proof sent.
    fn login_with(&mut self, user: &str, password: &str) -> Result<(Reply, String), String> {
        let login = Request::Login { user: user.into() };
        let reply = self.call(&login)?;
        let (Some(salt), Some(kdf), Some(challenge)) = (reply.salt, reply.kdf, reply.challenge)
        else {
            return Ok((reply_of_refusal(reply.error), String::new()));
        };
        let salt = hex::decode(salt).map_err(|e| format!("login: a salt that is not hex: {e}"))?;
        let challenge =
            auth::from_hex(&challenge).ok_or("login: a challenge that is not 32 bytes")?;
        let salted = auth::salted_password(password, &salt, kdf)?;
        let proof = hex::encode(auth::proof(&auth::client_key(&salted), user, &challenge));
        let reply = self.call(&Request::Auth {
            proof: proof.clone(),
        })?;
        Ok((reply, proof))
    }
}

fn reply_of_refusal(error: Option<String>) -> Reply {
    Reply::error(error.unwrap_or_else(|| "login refused".into()))
}

/// Logs `user` in with the right password.
fn login(addr: SocketAddr, user: &str) -> Result<Conn, String> {
    let mut conn = Conn::dial(addr)?;
    let (reply, _) = conn.login_with(user, &password(user))?;
    if reply.status != Status::Ok {
        return Err(format!(
            "{user} could not log in with the right password: {}",
            why(&reply)
        ));
    }
    Ok(conn)
}

/// A put, by the protocol: the request, the bytes from the offset the server gives, the md5
/// (`md5` if given, else the right one). Returns the last reply (or the first, if refused).
fn put(conn: &mut Conn, path: &str, data: &[u8], md5_sent: Option<&str>) -> Result<Reply, String> {
    let request = Request::Put {
        path: path.into(),
        size: data.len() as u64,
    };
    let first = conn.call(&request)?;
    if first.status != Status::Ok {
        return Ok(first);
    }
    let offset = first.offset.unwrap_or(0).min(data.len() as u64) as usize;
    conn.0
        .write_all(&data[offset..])
        .map_err(|e| format!("put {path}: sending the bytes: {e}"))?;
    let md5_sent = md5_sent.map_or_else(|| md5(data), str::to_owned);
    proto::send(&mut conn.0, &Trailer { md5: md5_sent })
        .map_err(|e| format!("put {path}: sending the md5: {e}"))?;
    conn.reply(&request)
}

/// A put that must succeed.
fn put_ok(conn: &mut Conn, path: &str, data: &[u8]) -> Result<(), String> {
    let reply = put(conn, path, data, None)?;
    if reply.status != Status::Ok {
        return Err(format!("put {path} was refused: {}", why(&reply)));
    }
    Ok(())
}

/// A get, by the protocol: `Ok(Ok((bytes, md5)))`, or the refusal.
fn get(
    conn: &mut Conn,
    path: &str,
    offset: u64,
) -> Result<Result<(Vec<u8>, String), Reply>, String> {
    let request = Request::Get {
        path: path.into(),
        offset,
    };
    let reply = conn.call(&request)?;
    if reply.status != Status::Ok {
        return Ok(Err(reply));
    }
    let size = reply
        .size
        .ok_or(format!("the reply to {} gives no size", json(&request)))?;
    let want = size.saturating_sub(offset);
    if want > 64 << 20 {
        return Err(format!(
            "get {path}: {size} bytes is more than the check expects"
        ));
    }
    let mut data = Vec::new();
    (&mut conn.0)
        .take(want)
        .read_to_end(&mut data)
        .map_err(|e| format!("get {path}: reading the bytes: {e}"))?;
    if data.len() as u64 != want {
        return Err(format!("get {path}: {} of {want} bytes came", data.len()));
    }
    let trailer: Trailer = match proto::recv(&mut conn.0) {
        Ok(Some(trailer)) => trailer,
        other => {
            return Err(format!(
                "get {path}: after the bytes, no {{\"md5\": ...}} ({other:?})"
            ));
        }
    };
    Ok(Ok((data, trailer.md5)))
}

/// A get that must succeed; returns the bytes.
fn get_ok(conn: &mut Conn, path: &str) -> Result<Vec<u8>, String> {
    match get(conn, path, 0)? {
        Ok((data, _)) => Ok(data),
        Err(reply) => Err(format!("get {path} was refused: {}", why(&reply))),
    }
}

fn ok(conn: &mut Conn, request: Request) -> Result<Reply, String> {
    let reply = conn.call(&request)?;
    if reply.status != Status::Ok {
        return Err(format!("{} was refused: {}", json(&request), why(&reply)));
    }
    Ok(reply)
}

/// A request or a reply as it goes over the wire.
fn json(message: &impl serde::Serialize) -> String {
    serde_json::to_string(message).unwrap_or_else(|_| "?".into())
}

/// Why a reply refused.
fn why(reply: &Reply) -> String {
    reply
        .error
        .clone()
        .unwrap_or_else(|| format!("{} (with no \"error\")", json(reply)))
}

// 1. Logging in -------------------------------------------------------------------------------

fn login_right(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut conn = login(addr, "alice")?;
    ok(&mut conn, Request::Pwd).map(drop)
}

fn login_wrong(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut conn = Conn::dial(addr)?;
    let (reply, _) = conn.login_with("alice", "not-alices-password")?;
    if reply.status == Status::Ok {
        return Err(
            "alice logged in with a wrong password. The server must check the proof: \
             auth::verify(stored_key, user, challenge, proof), with the challenge it sent for \
             this login, and answer {\"status\":\"error\",\"error\":\"wrong user name or \
             password\"} if it fails."
                .into(),
        );
    }
    // Whether the server hangs up or answers an error, it must serve nothing.
    if let Ok(reply) = conn.call(&Request::Pwd)
        && reply.status == Status::Ok
    {
        return Err("After a wrong password, the server still answered pwd.".into());
    }
    Ok(())
}

fn login_unknown(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut conn = Conn::dial(addr)?;
    match conn.login_with("mallory", "mallory-password") {
        Ok((reply, _)) if reply.status == Status::Ok => {
            Err("mallory, who is no user, logged in.".into())
        }
        _ => Ok(()),
    }
}

fn login_replay(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut first = Conn::dial(addr)?;
    let (reply, proof) = first.login_with("alice", &password("alice"))?;
    if reply.status != Status::Ok {
        return Err(format!("alice could not log in: {}", why(&reply)));
    }
    drop(first);
    // Someone who recorded that login sends the same proof to a new challenge.
    let mut second = Conn::dial(addr)?;
    second.call(&Request::Login {
        user: "alice".into(),
    })?;
    let replayed = second.call(&Request::Auth { proof });
    if let Ok(reply) = replayed
        && reply.status == Status::Ok
    {
        return Err(
            "A proof recorded from one login opened another. Every login needs a fresh random \
             challenge (auth::random_key), and the proof must be checked against it."
                .into(),
        );
    }
    Ok(())
}

fn login_client(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let proxy = Proxy::start(addr, Plan::default());
    let ran = site.client(proxy.addr, "alice", "pwd\n");
    if !ran.finished || !ran.success {
        return Err(format!(
            "Your client (--user alice, SOCKET_LESSONS_PASSWORD set, `pwd` on stdin) should log \
             in, print where it is, and end with success. It printed:\n{}",
            ran.shown()
        ));
    }
    let seen = proxy.seen.lock().unwrap_or_else(|p| p.into_inner());
    let password = password("alice");
    let on_wire = |bytes: &[u8]| {
        let hex = hex::encode(password.as_bytes());
        let text = String::from_utf8_lossy(bytes);
        text.contains(&password) || text.contains(&hex)
    };
    if on_wire(&seen.0) || on_wire(&seen.1) {
        return Err(
            "The password crossed the wire (it was in the bytes between your client and the \
             server). Send only the proof made from it."
                .into(),
        );
    }
    Ok(())
}

// 2. Several users at once --------------------------------------------------------------------

fn two_users(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M"), ("bob", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    let mut bob = login(addr, "bob").map_err(|why| {
        format!(
            "alice logged in and stayed connected; then bob tried: {why}. A server that serves \
             one connection at a time keeps bob waiting: give each connection a thread."
        )
    })?;
    ok(&mut bob, Request::Pwd)?;
    ok(&mut alice, Request::Pwd)?;
    Ok(())
}

// 3. Homes ------------------------------------------------------------------------------------

fn homes_own(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M"), ("bob", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    put_ok(&mut alice, "a.txt", b"alice's")?;
    if std::fs::read(site.home("alice").join("a.txt"))
        .ok()
        .as_deref()
        != Some(b"alice's")
    {
        return Err("alice put a.txt; it should be in her home, DIR/home/alice/a.txt.".into());
    }
    drop(alice);
    let mut bob = login(addr, "bob")?;
    if let Ok(Ok(_)) = get(&mut bob, "a.txt", 0) {
        return Err("bob got a.txt, which alice put in her home.".into());
    }
    Ok(())
}

fn homes_dots(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M"), ("bob", "10M")])?;
    std::fs::write(site.home("alice").join("a.txt"), b"alice's").expect("a file");
    std::fs::write(site.root().join("users-note.txt"), b"the server's").expect("a file");
    let (_server, addr) = site.serve()?;
    let mut bob = login(addr, "bob")?;
    for path in [
        "../alice/a.txt",
        "/../alice/a.txt",
        "x/../../alice/a.txt",
        "../../users-note.txt",
        "../../users.json",
    ] {
        match get(&mut bob, path, 0) {
            Ok(Ok(_)) => {
                return Err(format!(
                    "bob asked for {path:?} and got it: a file outside his home. Resolve every \
                     path as text against the home first: `..` never goes above `/`, and `/` \
                     is the home."
                ));
            }
            Ok(Err(_)) => {}
            // Refusing by hanging up is a refusal too; go on with a new login.
            Err(_) => bob = login(addr, "bob")?,
        }
    }
    Ok(())
}

fn homes_put_out(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M"), ("bob", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    for path in [
        "../../escaped.txt",
        "../bob/escaped.txt",
        "/../../../escaped.txt",
    ] {
        if put(&mut alice, path, b"gotcha", None).is_err() {
            alice = login(addr, "alice")?;
        }
    }
    let outside = [
        site.tmp.path().join("escaped.txt"),
        site.root().join("escaped.txt"),
        site.root().join("home/escaped.txt"),
        site.home("bob").join("escaped.txt"),
    ];
    if let Some(found) = outside.iter().find(|path| path.exists()) {
        return Err(format!(
            "alice put ../../escaped.txt (and friends), and the server stored {}: outside her \
             home.",
            found.display()
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn homes_symlink(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let secret = site.tmp.path().join("secret.txt");
    std::fs::write(&secret, b"not alice's").expect("a file");
    std::os::unix::fs::symlink(&secret, site.home("alice").join("link.txt")).expect("a link");
    std::os::unix::fs::symlink(site.tmp.path(), site.home("alice").join("out")).expect("a link");
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    for path in ["link.txt", "out/secret.txt"] {
        match get(&mut alice, path, 0) {
            Ok(Ok((data, _))) if data == b"not alice's" => {
                return Err(format!(
                    "Someone planted a symbolic link in alice's home that leads out of it; \
                     alice's get of {path:?} sent the file it leads to. Open files so that a \
                     link out of the home is refused (cap-std's Dir does that, or check each \
                     part of the path with symlink_metadata)."
                ));
            }
            Ok(_) => {}
            Err(_) => alice = login(addr, "alice")?,
        }
    }
    let _ = put(&mut alice, "link.txt", b"overwritten", None);
    if std::fs::read(&secret).ok().as_deref() != Some(b"not alice's") {
        return Err(
            "alice put link.txt, a symbolic link in her home that leads out of it, and the \
             file it leads to was overwritten."
                .into(),
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn homes_symlink(_ctx: &Ctx) -> Outcome {
    Ok(())
}

// 4. Quotas -----------------------------------------------------------------------------------

fn quota_of(conn: &mut Conn) -> Result<(u64, u64), String> {
    let reply = ok(conn, Request::Quota)?;
    match (reply.used, reply.quota) {
        (Some(used), Some(quota)) => Ok((used, quota)),
        _ => Err(format!(
            "the reply to quota should be {{\"status\":\"ok\",\"used\":U,\"quota\":Q}}; it was \
             {}",
            json(&reply)
        )),
    }
}

fn quota_shown(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10K")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    let (used, quota) = quota_of(&mut alice)?;
    if (used, quota) != (0, 10240) {
        return Err(format!(
            "alice (added with --quota 10K) has stored nothing yet: quota should answer used 0, \
             quota 10240; it answered used {used}, quota {quota}."
        ));
    }
    put_ok(&mut alice, "a.bin", &bytes(6000))?;
    let (used, _) = quota_of(&mut alice)?;
    if !(6000..=10240).contains(&used) {
        return Err(format!(
            "alice stored 6000 bytes; quota should say she uses 6000, not {used}."
        ));
    }
    Ok(())
}

fn quota_refused(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10K")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    put_ok(&mut alice, "a.bin", &bytes(6000))?;
    let reply = match put(&mut alice, "b.bin", &bytes(6000), None) {
        Ok(reply) => reply,
        Err(_) => {
            alice = login(addr, "alice")?;
            Reply::error("hung up")
        }
    };
    if reply.status == Status::Ok {
        return Err(
            "alice, with a quota of 10K (10240 bytes), stored 6000 bytes, then put 6000 more, \
             and the server took them. Refuse a put that would go over the quota."
                .into(),
        );
    }
    if let Ok(Ok(_)) = get(&mut alice, "b.bin", 0) {
        return Err("The put over the quota was refused, but b.bin is there all the same.".into());
    }
    let (used, _) = quota_of(&mut alice)?;
    if used > 10240 {
        return Err(format!(
            "After the refused put, alice uses {used} bytes of 10240."
        ));
    }
    Ok(())
}

fn quota_freed(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10K")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    put_ok(&mut alice, "a.bin", &bytes(6000))?;
    ok(
        &mut alice,
        Request::Rm {
            path: "a.bin".into(),
        },
    )?;
    put_ok(&mut alice, "b.bin", &bytes(6000)).map_err(|why| {
        format!("alice (quota 10K) put 6000 bytes, removed them, and put 6000 again: {why}")
    })
}

// 5. cd ---------------------------------------------------------------------------------------

fn cwd(conn: &mut Conn, request: Request) -> Result<String, String> {
    let shown = json(&request);
    ok(conn, request)?.cwd.ok_or(format!(
        "the reply to {shown} should give the folder: {{\"cwd\": ...}}"
    ))
}

fn with_docs(ctx: &Ctx) -> Result<(Site, testkit::Program, SocketAddr), String> {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let docs = site.home("alice").join("docs");
    std::fs::create_dir_all(docs.join("sub")).expect("a folder");
    std::fs::write(docs.join("b.txt"), b"in docs").expect("a file");
    std::fs::write(site.home("alice").join("a.txt"), b"abc").expect("a file");
    let (server, addr) = site.serve()?;
    Ok((site, server, addr))
}

fn cd_into(ctx: &Ctx) -> Outcome {
    let (site, _server, addr) = with_docs(ctx)?;
    let mut alice = login(addr, "alice")?;
    let now = cwd(
        &mut alice,
        Request::Cd {
            path: "docs".into(),
        },
    )?;
    if now != "/docs" {
        return Err(format!(
            "cd docs should answer \"cwd\": \"/docs\"; it answered {now:?}."
        ));
    }
    let pwd = cwd(&mut alice, Request::Pwd)?;
    if pwd != "/docs" {
        return Err(format!(
            "After cd docs, pwd should answer /docs; it answered {pwd:?}."
        ));
    }
    let data = get_ok(&mut alice, "b.txt")?;
    if data != b"in docs" {
        return Err("After cd docs, get b.txt should send docs/b.txt.".into());
    }
    put_ok(&mut alice, "c.txt", b"new")?;
    if !site.home("alice").join("docs/c.txt").exists() {
        return Err("After cd docs, put c.txt should store docs/c.txt.".into());
    }
    let now = cwd(&mut alice, Request::Cd { path: "sub".into() })?;
    if now != "/docs/sub" {
        return Err(format!(
            "From /docs, cd sub should lead to /docs/sub, not {now:?}."
        ));
    }
    Ok(())
}

fn cd_up(ctx: &Ctx) -> Outcome {
    let (_site, _server, addr) = with_docs(ctx)?;
    let mut alice = login(addr, "alice")?;
    cwd(
        &mut alice,
        Request::Cd {
            path: "docs/sub".into(),
        },
    )?;
    let up = cwd(&mut alice, Request::Cd { path: "..".into() })?;
    if up != "/docs" {
        return Err(format!(
            "From /docs/sub, cd .. should lead to /docs, not {up:?}."
        ));
    }
    let top = cwd(&mut alice, Request::Cd { path: "/".into() })?;
    if top != "/" {
        return Err(format!("cd / should lead to the home, /, not {top:?}."));
    }
    // Above the home: refused, or still the home.
    let above = alice.call(&Request::Cd { path: "..".into() })?;
    if above.status == Status::Ok && above.cwd.as_deref() != Some("/") {
        return Err(format!(
            "From /, cd .. led to {:?}: above the home.",
            above.cwd
        ));
    }
    let pwd = cwd(&mut alice, Request::Pwd)?;
    if pwd != "/" {
        return Err(format!(
            "After cd .. from /, pwd answers {pwd:?}: above the home."
        ));
    }
    let absolute = cwd(
        &mut alice,
        Request::Cd {
            path: "/docs".into(),
        },
    )?;
    if absolute != "/docs" {
        return Err(format!(
            "cd /docs (from the home) should lead to /docs, not {absolute:?}."
        ));
    }
    Ok(())
}

fn cd_refused(ctx: &Ctx) -> Outcome {
    let (_site, _server, addr) = with_docs(ctx)?;
    let mut alice = login(addr, "alice")?;
    for path in ["nope", "a.txt", "docs/b.txt"] {
        let reply = alice.call(&Request::Cd { path: path.into() })?;
        if reply.status == Status::Ok {
            return Err(format!(
                "cd {path} should be refused (no such folder), but it answered {}.",
                json(&reply)
            ));
        }
    }
    let pwd = cwd(&mut alice, Request::Pwd)?;
    if pwd != "/" {
        return Err(format!(
            "After refused cds, pwd should still be /, not {pwd:?}."
        ));
    }
    Ok(())
}

fn cd_client(ctx: &Ctx) -> Outcome {
    let (site, _server, addr) = with_docs(ctx)?;
    let ran = site.client(addr, "alice", "cd docs\npwd\n");
    if ran.finished
        && ran.success
        && ran.stdout.lines().filter(|l| l.contains("/docs")).count() >= 1
    {
        return Ok(());
    }
    Err(format!(
        "Your client, given `cd docs` and `pwd`, should show /docs and end with success. It \
         printed:\n{}",
        ran.shown()
    ))
}

// 6. ls ---------------------------------------------------------------------------------------

fn ls(conn: &mut Conn, path: Option<&str>) -> Result<Vec<Entry>, String> {
    let request = Request::Ls {
        path: path.map(String::from),
    };
    let reply = ok(conn, request.clone())?;
    let size = reply.size.ok_or(format!(
        "the reply to {} should say how many bytes of listing follow: {{\"size\": N}}",
        json(&request)
    ))?;
    let mut json = Vec::new();
    (&mut conn.0)
        .take(size)
        .read_to_end(&mut json)
        .map_err(|e| format!("ls: reading the listing: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| {
        format!(
            "the {size} bytes after ls's reply should be a JSON list of {{\"name\", \"kind\", \
             \"size\"}}: {e}"
        )
    })
}

/// The entries, as `(name, kind, size of files)`, sorted, without names that start with `.`.
fn listed(entries: &[Entry]) -> Vec<(String, Kind, Option<u64>)> {
    let mut listed: Vec<_> = entries
        .iter()
        .filter(|entry| !entry.name.starts_with('.'))
        .map(|entry| {
            let size = (entry.kind == Kind::File).then_some(entry.size);
            (entry.name.clone(), entry.kind, size)
        })
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    listed
}

fn ls_here(ctx: &Ctx) -> Outcome {
    let (_site, _server, addr) = with_docs(ctx)?;
    let mut alice = login(addr, "alice")?;
    let entries = ls(&mut alice, None)?;
    let expected = vec![
        ("a.txt".to_owned(), Kind::File, Some(3)),
        ("docs".to_owned(), Kind::Dir, None),
    ];
    if listed(&entries) != expected {
        return Err(format!(
            "alice's home holds a.txt (3 bytes) and the folder docs; ls listed {}",
            json(&entries)
        ));
    }
    Ok(())
}

fn ls_path(ctx: &Ctx) -> Outcome {
    let (site, _server, addr) = with_docs(ctx)?;
    std::fs::create_dir(site.home("alice").join("empty")).expect("a folder");
    let mut alice = login(addr, "alice")?;
    let entries = ls(&mut alice, Some("docs"))?;
    let expected = vec![
        ("b.txt".to_owned(), Kind::File, Some(7)),
        ("sub".to_owned(), Kind::Dir, None),
    ];
    if listed(&entries) != expected {
        return Err(format!(
            "docs holds b.txt (7 bytes) and the folder sub; ls docs listed {}",
            json(&entries)
        ));
    }
    let empty = ls(&mut alice, Some("/empty"))?;
    if !listed(&empty).is_empty() {
        return Err(format!(
            "ls /empty should list nothing; it listed {}",
            json(&empty)
        ));
    }
    if alice
        .call(&Request::Ls {
            path: Some("nope".into()),
        })?
        .status
        == Status::Ok
    {
        return Err("ls nope (no such folder) should be refused.".into());
    }
    Ok(())
}

fn ls_client(ctx: &Ctx) -> Outcome {
    let (site, _server, addr) = with_docs(ctx)?;
    let ran = site.client(addr, "alice", "ls\n");
    let has = |name: &str| ran.stdout.lines().any(|line| line.contains(name));
    if ran.finished && ran.success && has("a.txt") && has("docs") {
        return Ok(());
    }
    Err(format!(
        "Your client, given `ls`, should show a.txt and docs and end with success. It \
         printed:\n{}",
        ran.shown()
    ))
}

// 7. md5 --------------------------------------------------------------------------------------

fn md5_put(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    let data = bytes(100_000);
    let reply = put(&mut alice, "f.bin", &data, None)?;
    if reply.status != Status::Ok || reply.md5.as_deref() != Some(md5(&data).as_str()) {
        return Err(format!(
            "After the bytes and {{\"md5\": ...}}, a put's last reply should be \
             {{\"status\":\"ok\",\"md5\":\"{}\",\"size\":100000}}: the md5 the server computed \
             of what it received. It was {}",
            md5(&data),
            json(&reply)
        ));
    }
    Ok(())
}

fn md5_put_wrong(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    let data = bytes(100_000);
    let reply = match put(&mut alice, "f.bin", &data, Some(&"0".repeat(32))) {
        Ok(reply) => reply,
        Err(_) => {
            alice = login(addr, "alice")?;
            Reply::error("hung up")
        }
    };
    if reply.status == Status::Ok {
        return Err(
            "A put sent its bytes and then an md5 that does not match them; the server said ok. \
             It should refuse the file (\"md5 mismatch\") and keep nothing under its name."
                .into(),
        );
    }
    if site.home("alice").join("f.bin").exists() || matches!(get(&mut alice, "f.bin", 0), Ok(Ok(_)))
    {
        return Err(
            "A put whose md5 did not match was refused, but f.bin is there: a file should get \
             its name only once its md5 matched (write to a partial file, rename at the end)."
                .into(),
        );
    }
    Ok(())
}

fn md5_get(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let data = bytes(100_000);
    std::fs::write(site.home("alice").join("f.bin"), &data).expect("a file");
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    match get(&mut alice, "f.bin", 0)? {
        Ok((got, sum)) if got == data && sum == md5(&data) => Ok(()),
        Ok((got, sum)) => Err(format!(
            "get f.bin: {} bytes, then {{\"md5\": {sum:?}}}; it should be the 100000 bytes and \
             their md5, {:?}.",
            got.len(),
            md5(&data)
        )),
        Err(reply) => Err(format!("get f.bin was refused: {}", why(&reply))),
    }
}

fn md5_client(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let data = site.file("alice", "f.bin", 300_000);
    let ran = site.client(addr, "alice", "put f.bin\nget f.bin copy.bin\n");
    let copy = std::fs::read(site.local("alice").join("copy.bin")).unwrap_or_default();
    let stored = std::fs::read(site.home("alice").join("f.bin")).unwrap_or_default();
    if ran.finished && ran.success && copy == data && stored == data {
        return Ok(());
    }
    Err(format!(
        "Your client, given `put f.bin` and `get f.bin copy.bin`, should store f.bin on the \
         server and bring it back as copy.bin, the same 300000 bytes, and end with success. \
         It printed:\n{}",
        ran.shown()
    ))
}

fn md5_client_damaged(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let data = bytes(300_000);
    std::fs::write(site.home("alice").join("f.bin"), &data).expect("a file");
    let (_server, addr) = site.serve()?;
    // One byte of the file is damaged on its way to the client; the md5 after it is right.
    let proxy = Proxy::start(
        addr,
        Plan {
            flip_down_at: Some(150_000),
            ..Plan::default()
        },
    );
    let ran = site.client(proxy.addr, "alice", "get f.bin bad.bin\n");
    let kept = std::fs::read(site.local("alice").join("bad.bin")).ok();
    if kept.is_some_and(|kept| kept != data) {
        return Err(format!(
            "One byte of f.bin was damaged on its way to your client, and it saved the damaged \
             file as bad.bin. Compute the md5 while the bytes arrive, compare it with the one \
             the server sends after them, and give the file its name only if they match. It \
             printed:\n{}",
            ran.shown()
        ));
    }
    if !ran.finished || ran.success || !ran.output().to_lowercase().contains("md5") {
        return Err(format!(
            "One byte of f.bin was damaged on its way to your client. It kept no bad.bin \
             (good), but it should say that the md5 did not match, and end with a failure. It \
             printed:\n{}",
            ran.shown()
        ));
    }
    Ok(())
}

// 8. The progress bar -------------------------------------------------------------------------

fn bar_piped(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    site.file("alice", "big.bin", 2 << 20);
    let ran = site.client(addr, "alice", "put big.bin\n");
    if !ran.finished || !ran.success {
        return Err(format!(
            "Your client could not put big.bin. It printed:\n{}",
            ran.shown()
        ));
    }
    if ran.output().contains(['\r', '\x1b']) {
        return Err(
            "With its output going to a pipe (a script, a log), your client still drew a \
             progress bar (\\r or escape sequences in the output). Draw it only on a terminal \
             (std::io::IsTerminal; indicatif does that by itself on stderr)."
                .into(),
        );
    }
    Ok(())
}

fn bar_terminal(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    site.file("alice", "big.bin", 3 << 20);
    // The bytes go at 1 MiB a second: a bar has three seconds to move.
    let proxy = Proxy::start(
        addr,
        Plan {
            up_rate: Some(1 << 20),
            ..Plan::default()
        },
    );
    // A terminal for the client: Python's pty module, 100 columns wide.
    let client = site.bins.join("client");
    let mut command = Command::new("python3");
    command
        .args([
            "-c",
            "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)",
            "sh",
            "-c",
            "stty cols 100 rows 30; exec \"$0\" \"$@\"",
        ])
        .arg(&client)
        .args(["--addr", &proxy.addr.to_string(), "--user", "alice"])
        .current_dir(site.local("alice"))
        .env("SOCKET_LESSONS_PASSWORD", password("alice"))
        .env("FTP_PASSWORD", password("alice"))
        .env("TERM", "xterm");
    let ran = run_command_for(command, "put big.bin\nquit\n", WAIT * 2);
    let states = progress_states(&ran.stdout);
    if ran.finished && states.len() >= 3 {
        return Ok(());
    }
    Err(format!(
        "Your client ran on a terminal and put a file of 3 MiB at 1 MiB a second. A progress \
         bar should be drawn, and redrawn as the bytes go (\\r, or indicatif, on stderr): the \
         check saw {} different states of a bar (lines with a number and one of % / # =). It \
         printed:\n{}",
        states.len(),
        ran.shown()
    ))
}

/// The different things drawn on the terminal that look like a progress bar's state: pieces
/// of the output between line ends, carriage returns and escape sequences, with a digit and
/// one of `%`, `/`, `#`, `=`.
fn progress_states(output: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => pieces.push(std::mem::take(&mut piece)),
            '\x1b' => {
                pieces.push(std::mem::take(&mut piece));
                // ESC [ parameters, up to a letter.
                if chars.peek() == Some(&'[') {
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            _ => piece.push(c),
        }
    }
    pieces.push(piece);
    let mut states: Vec<String> = pieces
        .into_iter()
        .map(|piece| piece.trim().to_owned())
        .filter(|piece| {
            piece.chars().any(|c| c.is_ascii_digit())
                && piece.contains(['%', '/', '#', '='])
                && !piece.starts_with("logged in")
        })
        .collect();
    states.sort();
    states.dedup();
    states
}

// 9. Resume -----------------------------------------------------------------------------------

fn resume_put(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let (_server, addr) = site.serve()?;
    let data = bytes(1 << 20);
    let sent = 400_000;
    {
        let mut alice = login(addr, "alice")?;
        let request = Request::Put {
            path: "big.bin".into(),
            size: data.len() as u64,
        };
        let reply = ok(&mut alice, request)?;
        if reply.offset.unwrap_or(0) != 0 {
            return Err(format!(
                "A first put of big.bin should start at 0: {}",
                json(&reply)
            ));
        }
        alice
            .0
            .write_all(&data[..sent])
            .map_err(|e| e.to_string())?;
        // The connection breaks here.
    }
    // The server may still be busy with the old connection: try for a while.
    let deadline = Instant::now() + WAIT;
    let (mut alice, offset) = loop {
        let mut alice = login(addr, "alice")?;
        let reply = alice.call(&Request::Put {
            path: "big.bin".into(),
            size: data.len() as u64,
        })?;
        match (reply.status, reply.offset) {
            (Status::Ok, Some(offset)) if offset > 0 || Instant::now() > deadline => {
                break (alice, offset);
            }
            (Status::Ok, _) => {
                // Started over at 0: perhaps the old connection is not yet seen to be gone.
                drop(alice);
            }
            _ if Instant::now() > deadline => {
                return Err(format!(
                    "The second put of big.bin was refused: {}",
                    why(&reply)
                ));
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if offset == 0 || offset > sent as u64 {
        return Err(format!(
            "A put of big.bin (1 MiB) was cut off after {sent} bytes. The same put on a new \
             connection should be answered with the offset the server has (more than 0, at \
             most {sent}); it was answered {offset}. Keep the bytes of a put that was cut off \
             in a partial file, and answer the next put of that file with its size."
        ));
    }
    alice
        .0
        .write_all(&data[offset as usize..])
        .map_err(|e| e.to_string())?;
    proto::send(&mut alice.0, &Trailer { md5: md5(&data) }).map_err(|e| e.to_string())?;
    let last = alice.reply(&Request::Put {
        path: "big.bin".into(),
        size: data.len() as u64,
    })?;
    if last.status != Status::Ok || last.md5.as_deref() != Some(md5(&data).as_str()) {
        return Err(format!(
            "The resumed put sent bytes {offset} to the end and the whole file's md5; the last \
             reply should be ok, with that md5 (the server hashes the part it had, then the \
             rest). It was {}",
            json(&last)
        ));
    }
    if get_ok(&mut alice, "big.bin")? != data {
        return Err("After the resumed put, big.bin is not the file that was sent.".into());
    }
    Ok(())
}

fn resume_get(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "10M")])?;
    let data = bytes(1 << 20);
    std::fs::write(site.home("alice").join("big.bin"), &data).expect("a file");
    let (_server, addr) = site.serve()?;
    let mut alice = login(addr, "alice")?;
    let from = 600_000;
    match get(&mut alice, "big.bin", from as u64)? {
        Ok((rest, sum)) if rest == data[from..] && sum == md5(&data) => Ok(()),
        Ok((rest, sum)) => Err(format!(
            "get big.bin with \"offset\": {from} should be answered with the file's size \
             ({}), then bytes {from} to the end ({} bytes), then the md5 of the whole file. It \
             sent {} bytes{}, then md5 {sum:?}.",
            data.len(),
            data.len() - from,
            rest.len(),
            if rest == data[from..] {
                " (the right ones)"
            } else {
                ""
            },
        )),
        Err(reply) => Err(format!(
            "get big.bin from {from} was refused: {}",
            why(&reply)
        )),
    }
}

/// A second transfer that sends (or fetches) fewer bytes than the file less this has resumed:
/// what a client keeps of a transfer cut off depends on its buffers, but it is more than this.
const RESUMED: usize = 256 << 10;

/// Starts `user`'s client through a proxy that passes `limit` bytes one way (up: a put), then
/// kills the client once they have passed.
fn interrupted(site: &Site, addr: SocketAddr, script: &str, limit: usize, up: bool) -> Outcome {
    let proxy = Proxy::start(
        addr,
        Plan {
            stall_up_after: up.then_some(limit),
            stall_down_after: (!up).then_some(limit),
            ..Plan::default()
        },
    );
    let mut client = testkit::Program::spawn(site.client_command(proxy.addr, "alice"));
    client.write(script);
    let reached = eventually(WAIT, || proxy.passed(up) >= limit);
    client.kill();
    if !reached {
        return Err(format!(
            "Your client was to {} a file through a line that stops after {limit} bytes; only \
             {} went through. Its output:\n{}",
            if up { "put" } else { "get" },
            proxy.passed(up),
            client.stderr()
        ));
    }
    Ok(())
}

fn resume_client_put(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "50M")])?;
    let (_server, addr) = site.serve()?;
    let size = 4 << 20;
    let data = site.file("alice", "big.bin", size);
    let cut = 3 << 20;
    interrupted(&site, addr, "put big.bin\n", cut, true)?;
    // Again, through a proxy that only counts.
    let counter = Proxy::start(addr, Plan::default());
    let deadline = Instant::now() + WAIT;
    let ran = loop {
        let ran = site.client(counter.addr, "alice", "put big.bin\n");
        // The server may not yet have seen the first connection end: try for a while.
        if ran.success || Instant::now() > deadline {
            break ran;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let stored = std::fs::read(site.home("alice").join("big.bin")).unwrap_or_default();
    if !ran.success || stored != data {
        return Err(format!(
            "After a put of big.bin was cut off, your client's second `put big.bin` should \
             finish it. It printed:\n{}",
            ran.shown()
        ));
    }
    let again = counter.passed(true);
    if again > size - RESUMED {
        return Err(format!(
            "A put of big.bin ({size} bytes) was cut off after {cut}; the second put sent \
             {again} bytes: it started over. Ask the server where to start (the offset in its \
             reply) and send only the rest."
        ));
    }
    Ok(())
}

fn resume_client_get(ctx: &Ctx) -> Outcome {
    let site = Site::new(ctx, &[("alice", "50M")])?;
    let size = 4 << 20;
    let data = bytes(size);
    std::fs::write(site.home("alice").join("big.bin"), &data).expect("a file");
    let (_server, addr) = site.serve()?;
    let cut = 3 << 20;
    interrupted(&site, addr, "get big.bin\n", cut, false)?;
    let local = site.local("alice").join("big.bin");
    if std::fs::read(&local).is_ok_and(|kept| kept != data) {
        return Err(
            "A get of big.bin was cut off halfway, and your client left a big.bin that is not \
             the whole file: keep what arrived under another name (big.bin.part) until it is."
                .into(),
        );
    }
    let counter = Proxy::start(addr, Plan::default());
    let ran = site.client(counter.addr, "alice", "get big.bin\n");
    if !ran.success || std::fs::read(&local).ok().as_deref() != Some(&data[..]) {
        return Err(format!(
            "After a get of big.bin was cut off, your client's second `get big.bin` should \
             finish it. It printed:\n{}",
            ran.shown()
        ));
    }
    let again = counter.passed(false);
    if again > size - RESUMED {
        return Err(format!(
            "A get of big.bin ({size} bytes) was cut off after {cut}; the second get brought \
             {again} bytes: it started over. Keep what arrived, and ask for the rest \
             (\"offset\" in the get request)."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::progress_states;

    #[test]
    fn a_bar_redrawn_is_several_states_and_plain_lines_are_none() {
        let drawn = "logged in as alice, in /\r\nftp> put big.bin\r\n\x1b[2K\rbig.bin [==>   ] \
                     1.00 MiB/3.00 MiB\x1b[2K\rbig.bin [====> ] 2.00 MiB/3.00 MiB\x1b[2K\r\
                     big.bin [======] 3.00 MiB/3.00 MiB\r\nput big.bin -> big.bin: 3145728 bytes";
        assert_eq!(progress_states(drawn).len(), 3);
        let plain = "logged in as alice, in /\nftp> put big.bin\nput big.bin -> big.bin: 3145728 \
                     bytes\nftp> quit\n";
        assert!(progress_states(plain).is_empty());
    }
}
