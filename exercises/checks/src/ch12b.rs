//! ch12b-1: keep every upload in the folder. The check plays the client, with ch12b's frames,
//! and looks in the file system around the server's `--dir`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request};
use tempfile::TempDir;

use crate::harness::{Ctx, Outcome, Step, dial, start_server};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "a put of a.txt is stored in the folder, and a get sends it back",
            run: plain_put_and_get,
        },
        Step {
            what: "a put of ../escape.txt stores nothing outside the folder",
            run: |ctx| put_outside(ctx, |_| "../escape.txt".into(), "escape.txt"),
        },
        Step {
            what: "a put of an absolute path (/.../abs.txt) stores nothing there",
            run: |ctx| {
                put_outside(
                    ctx,
                    |site| site.join("abs.txt").to_string_lossy().into_owned(),
                    "abs.txt",
                )
            },
        },
        Step {
            what: "a get of ../secret.txt sends nothing from outside the folder",
            run: get_outside,
        },
    ]
}

/// A server with its folder, `SITE/files`, in a fresh temporary folder SITE.
struct Site {
    tmp: TempDir,
    server: testkit::Program,
    addr: SocketAddr,
}

impl Site {
    fn start(ctx: &Ctx) -> Result<Site, String> {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let dir = tmp.path().join("files");
        let (server, addr) = start_server(&ctx.bin("server"), &["--dir", &dir.to_string_lossy()])?;
        Ok(Site { tmp, server, addr })
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }
}

/// Sends a put of `name` with these bytes, asking for a reply.
fn put(conn: &mut TcpStream, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let request = Request {
        cmd: "put".into(),
        filename: name.into(),
        filesize: Some(bytes.len() as i64),
        reply: true,
    };
    conn.write_all(&pack_header(&request)?)?;
    conn.write_all(bytes)
}

/// Sends a get of `name`; returns the reply and, if it is ok, the file's bytes.
fn get(conn: &mut TcpStream, name: &str) -> std::io::Result<Option<(Reply, Vec<u8>)>> {
    let request = Request {
        cmd: "get".into(),
        filename: name.into(),
        ..Request::default()
    };
    conn.write_all(&pack_header(&request)?)?;
    let Some(reply) = recv_header::<Reply>(conn)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    if let Reply::Ok { filesize } = reply {
        conn.take(filesize).read_to_end(&mut bytes)?;
    }
    Ok(Some((reply, bytes)))
}

fn plain_put_and_get(ctx: &Ctx) -> Outcome {
    let site = Site::start(ctx)?;
    let mut conn = dial(site.addr)?;
    put(&mut conn, "a.txt", b"hello").map_err(|e| format!("put a.txt: {e}"))?;
    match recv_header::<Reply>(&mut conn) {
        Ok(Some(Reply::Ok { filesize: 5 })) => {}
        other => {
            return Err(format!(
                "A put of a.txt (5 bytes, \"reply\": true) should be answered \
                 {{\"status\":\"ok\",\"filesize\":5}}; your server answered {other:?}"
            ));
        }
    }
    let stored = std::fs::read(site.path().join("files/a.txt")).unwrap_or_default();
    if stored != b"hello" {
        return Err(
            "After a put of a.txt, the folder's a.txt should hold the 5 bytes sent.".into(),
        );
    }
    match get(&mut conn, "a.txt") {
        Ok(Some((Reply::Ok { filesize: 5 }, bytes))) if bytes == b"hello" => Ok(()),
        other => Err(format!(
            "A get of a.txt should send {{\"status\":\"ok\",\"filesize\":5}} and the 5 bytes; \
             your server sent {other:?}"
        )),
    }
}

/// A put whose name (made from the site's folder by `name`) leads to `SITE/landing`.
fn put_outside(ctx: &Ctx, name: fn(&Path) -> String, landing: &str) -> Outcome {
    let mut site = Site::start(ctx)?;
    let name = name(site.path());
    let mut conn = dial(site.addr)?;
    // Whatever the server does (refuse, hang up, store it elsewhere), it ends by the time it
    // answers or hangs up.
    let _ = put(&mut conn, &name, b"gotcha");
    let answer = recv_header::<Reply>(&mut conn);
    let outside = site.path().join(landing);
    if outside.exists() {
        return Err(format!(
            "A put of {name:?}: your server stored it as {}, outside its folder {}. A client \
             must not choose where a file goes: accept a plain name only (no `/`, no `..`).",
            outside.display(),
            site.path().join("files").display()
        ));
    }
    still_serving(&mut site, conn, answer.is_ok_and(|reply| reply.is_some()))
}

fn get_outside(ctx: &Ctx) -> Outcome {
    let mut site = Site::start(ctx)?;
    std::fs::write(site.path().join("secret.txt"), b"top secret").expect("write a file");
    let mut conn = dial(site.addr)?;
    match get(&mut conn, "../secret.txt") {
        Ok(Some((Reply::Ok { .. }, bytes))) => Err(format!(
            "A get of \"../secret.txt\": your server sent the file beside its folder ({:?}). \
             A get must not reach outside the folder either.",
            String::from_utf8_lossy(&bytes)
        )),
        Ok(Some((Reply::Error { .. }, _))) => still_serving(&mut site, conn, true),
        _ => still_serving(&mut site, conn, false),
    }
}

/// After a refused request: the server stores and sends a file, on the same connection if it
/// answered, else on a new one.
fn still_serving(site: &mut Site, conn: TcpStream, answered: bool) -> Outcome {
    let mut conn = if answered { conn } else { dial(site.addr)? };
    let served = put(&mut conn, "b.txt", b"still here")
        .and_then(|()| recv_header::<Reply>(&mut conn))
        .and_then(|_| get(&mut conn, "b.txt"));
    match served {
        Ok(Some((Reply::Ok { .. }, bytes))) if bytes == b"still here" => Ok(()),
        other => {
            let alive = if site.server.has_exited() {
                format!(
                    "your server has stopped; it said:\n{}",
                    site.server.stderr()
                )
            } else {
                format!("it answered {other:?}")
            };
            Err(format!(
                "After refusing a bad name, the server should go on serving: a put and a get \
                 of b.txt should work (on the same connection if it answered the bad one, \
                 else on a new one). But {alive}"
            ))
        }
    }
}
