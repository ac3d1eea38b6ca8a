//! ch13-1: put the handshake in front of ch12's remote shell. The check calls the student's
//! server as callers with and without the key, and runs their client against their server.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use ch12_struct_header::{Reply, recv_data, recv_header};
use ch13_hmac_auth::{CHALLENGE_LEN, answer};

use crate::harness::{
    Ctx, Got, Outcome, Step, WAIT, closed_within, dial, recv_exactly, run_for, start_server,
};

const KEY: &str = "the class's secret";

/// The server's time limit for an answer, in seconds.
const AUTH_TIMEOUT: &str = "1";

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "a caller gets a 32-byte challenge; with the right answer, its command runs",
            run: right_answer,
        },
        Step {
            what: "every call gets a new challenge",
            run: new_challenges,
        },
        Step {
            what: "a wrong answer is hung up on, and the caller's command never runs",
            run: wrong_answer,
        },
        Step {
            what: "a caller who does not answer is hung up on after --auth-timeout",
            run: no_answer,
        },
        Step {
            what: "your client, with the key, passes the exam and runs `echo hello`",
            run: client_with_key,
        },
        Step {
            what: "your client, with a wrong key, ends without a reply",
            run: client_with_wrong_key,
        },
    ]
}

fn server(ctx: &Ctx) -> Result<(testkit::Program, std::net::SocketAddr), String> {
    start_server(
        &ctx.bin("server"),
        &["--key", KEY, "--auth-timeout", AUTH_TIMEOUT],
    )
}

/// Calls the server and takes its challenge.
fn challenge(conn: &mut TcpStream) -> Result<Vec<u8>, String> {
    match recv_exactly(conn, CHALLENGE_LEN, WAIT) {
        Got::All(challenge) => Ok(challenge),
        Got::Closed(got) | Got::Late(got) if got.is_empty() => Err(format!(
            "A caller got nothing from your server within {WAIT:?}. The exam starts on the \
             server's side: it sends 32 random bytes, the challenge, before anything else."
        )),
        got => Err(format!(
            "A caller should get a 32-byte challenge first; from your server it got {got:?}."
        )),
    }
}

fn right_answer(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let mut conn = dial(addr)?;
    let challenge = challenge(&mut conn)?;
    conn.write_all(&answer(KEY.as_bytes(), &challenge))
        .and_then(|()| conn.write_all(b"echo hi"))
        .map_err(|e| format!("the server hung up on a right answer: {e}"))?;
    let reply = recv_header::<Reply>(&mut conn)
        .and_then(|header| match header {
            Some(header) => recv_data(&mut conn, header.data_size, 1 << 20).map(Some),
            None => Ok(None),
        })
        .map_err(|e| e.to_string());
    match reply {
        Ok(Some(data)) if data == b"hi\n" => Ok(()),
        other => Err(format!(
            "A caller answered HMAC-SHA256(key, challenge) (32 bytes), then sent `echo hi`. It \
             should get ch12's frame with `hi\\n`; it got {other:?}"
        )),
    }
}

fn new_challenges(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let mut first = dial(addr)?;
    let one = challenge(&mut first)?;
    drop(first); // one caller at a time: the next is served when this one hangs up
    let mut second = dial(addr)?;
    let two = challenge(&mut second)?;
    if one == two {
        return Err(format!(
            "Two calls got the same challenge, {}. An answer overheard on one call would then \
             open the next: take 32 new random bytes for every call (OsRng).",
            hex::encode(&one)
        ));
    }
    Ok(())
}

fn wrong_answer(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let marker = tempfile::tempdir().expect("a temporary folder");
    let ran = marker.path().join("ran");
    let mut conn = dial(addr)?;
    let challenge = challenge(&mut conn)?;
    // The server may hang up as soon as it has the answer, so these writes may fail: fine.
    let _ = conn.write_all(&answer(b"not the key", &challenge));
    let _ = conn.write_all(format!("touch {}", ran.display()).as_bytes());
    if !closed_within(&mut conn, WAIT) {
        return Err(format!(
            "A caller answered with the wrong key. Your server should hang up on it; after \
             {WAIT:?} the line was still open."
        ));
    }
    if ran.exists() {
        return Err(
            "A caller answered with the wrong key, then sent `touch FILE`, and the file is \
             there: your server ran the command. Check the answer (is_right) before the comm \
             loop, and hang up if it is wrong."
                .into(),
        );
    }
    Ok(())
}

fn no_answer(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let mut conn = dial(addr)?;
    challenge(&mut conn)?;
    let limit = Duration::from_secs(1);
    if !closed_within(&mut conn, limit + WAIT) {
        return Err(format!(
            "A caller took the challenge and said nothing. With --auth-timeout {AUTH_TIMEOUT} \
             your server should hang up after {limit:?}; after {:?} the line was still open, \
             and a one-at-a-time server serves nobody else meanwhile.",
            limit + WAIT
        ));
    }
    Ok(())
}

fn client_with_key(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string(), "--key", KEY],
        "echo hello\n",
        WAIT,
    );
    if ran.finished && ran.stdout.lines().any(|line| line == "hello") {
        return Ok(());
    }
    Err(format!(
        "Your client, with the right --key, should pass the exam and print `hello` for \
         `echo hello`. It printed:\n{}",
        ran.shown()
    ))
}

fn client_with_wrong_key(ctx: &Ctx) -> Outcome {
    let (_server, addr) = server(ctx)?;
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string(), "--key", "not the key"],
        "echo hello\n",
        WAIT,
    );
    if let Some(panic) = ran.panic() {
        return Err(format!(
            "Your client, with a wrong key, panicked:\n  {panic}"
        ));
    }
    if !ran.finished || ran.stdout.lines().any(|line| line == "hello") {
        return Err(format!(
            "Your client, with a wrong --key, should be hung up on and end, without a reply. \
             It printed:\n{}",
            ran.shown()
        ));
    }
    Ok(())
}
