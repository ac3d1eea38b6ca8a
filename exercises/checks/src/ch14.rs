//! ch14-1: cap the number of threads. The check calls the student's server as several ch12b
//! clients at once, each asking for a file, and watches who is answered when.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request};
use tempfile::TempDir;

use crate::harness::{Ctx, Got, Outcome, QUIET, Step, WAIT, dial, recv_exactly, start_server};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "with --max-clients 2, two clients are served at the same time",
            run: two_at_once,
        },
        Step {
            what: "a third client waits while two are served, and is served when one leaves",
            run: third_waits,
        },
        Step {
            what: "twenty clients one after another, ten of them sending a bad header, are all \
                   answered (every place is given back)",
            run: places_come_back,
        },
    ]
}

/// The server with `--max-clients 2`, serving a folder with f.txt in it.
fn server(ctx: &Ctx) -> Result<(TempDir, testkit::Program, SocketAddr), String> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("f.txt"), b"file").expect("write a file");
    let (server, addr) = start_server(
        &ctx.bin("server"),
        &["--dir", &dir.path().to_string_lossy(), "--max-clients", "2"],
    )?;
    Ok((dir, server, addr))
}

/// Connects and asks for f.txt.
fn ask(addr: SocketAddr) -> Result<TcpStream, String> {
    let mut conn = dial(addr)?;
    let request = Request {
        cmd: "get".into(),
        filename: "f.txt".into(),
        ..Request::default()
    };
    conn.write_all(&pack_header(&request).expect("a header"))
        .map_err(|e| format!("cannot send a get: {e}"))?;
    Ok(conn)
}

/// Reads the answer to [`ask`]: f.txt's reply and bytes.
fn answered(conn: &mut TcpStream) -> Result<(), String> {
    match recv_header::<Reply>(conn) {
        Ok(Some(Reply::Ok { filesize: 4 })) => {
            let mut bytes = [0u8; 4];
            conn.read_exact(&mut bytes)
                .map_err(|e| format!("the file's 4 bytes did not come: {e}"))
        }
        other => Err(format!("a get of f.txt was answered {other:?}")),
    }
}

fn two_at_once(ctx: &Ctx) -> Outcome {
    let (_dir, _server, addr) = server(ctx)?;
    let mut first = ask(addr)?;
    answered(&mut first).map_err(|why| format!("The first client: {why}"))?;
    let mut second = ask(addr)?;
    answered(&mut second).map_err(|why| {
        format!(
            "With --max-clients 2, a second client should be served while the first is still \
             connected; but {why}"
        )
    })
}

fn third_waits(ctx: &Ctx) -> Outcome {
    let (_dir, _server, addr) = server(ctx)?;
    let mut first = ask(addr)?;
    answered(&mut first)?;
    let mut second = ask(addr)?;
    answered(&mut second)?;
    let mut third = ask(addr)?;
    match recv_exactly(&mut third, 1, QUIET) {
        Got::Late(_) => {}
        got => {
            return Err(format!(
                "With --max-clients 2 and two clients connected, a third asked for a file and \
                 got {got:?} within {QUIET:?}. It should wait: the server serves at most 2 at \
                 once."
            ));
        }
    }
    drop(first); // one leaves: the third should be served now
    answered(&mut third).map_err(|why| {
        format!(
            "With --max-clients 2, a third client waited while two were served (good). When \
             the first hung up, it should have been served; but {why}"
        )
    })
}

fn places_come_back(ctx: &Ctx) -> Outcome {
    let (_dir, _server, addr) = server(ctx)?;
    for n in 1..=20 {
        if n % 2 == 0 {
            // A header length of -1: the handler ends in an error, and must give its place back.
            let mut bad = dial(addr)?;
            let _ = bad.write_all(&(-1i32).to_le_bytes());
            let _ = recv_exactly(&mut bad, usize::MAX, WAIT);
            continue;
        }
        let mut conn = ask(addr)?;
        answered(&mut conn).map_err(|why| {
            format!(
                "With --max-clients 2, clients came one after another, each hanging up before \
                 the next, every second one after sending a bad header (a length of -1). \
                 Client {n} was not served ({why}): does every client that leaves give its \
                 place back, also when its handler ends in an error? (Waited {WAIT:?}.)"
            )
        })?;
    }
    Ok(())
}
