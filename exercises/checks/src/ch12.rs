//! ch12-1: refuse a header length no server should send. The student's client talks to the
//! article's Python server, then to servers played by the check that send a bad length and
//! nothing after it.

use std::io::{Read, Write};
use std::time::Duration;

use crate::harness::{Ctx, Outcome, Step, WAIT, fake_server, run_for};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "replies from the article's server arrive whole (tests/peers/server.py)",
            run: articles_server,
        },
        Step {
            what: "a header of 60,000 bytes is still read (a real header may be long)",
            run: long_header,
        },
        Step {
            what: "a header length of -1 is refused at once, with a message that names it",
            run: |ctx| bad_length(ctx, -1),
        },
        Step {
            what: "a header length of 100000 (over 64 KiB) is refused at once",
            run: |ctx| bad_length(ctx, 100_000),
        },
        Step {
            what: "a header length of 2147483647 (2 GiB) is refused at once",
            run: |ctx| bad_length(ctx, i32::MAX),
        },
    ]
}

fn articles_server(ctx: &Ctx) -> Outcome {
    let mut server = testkit::python(ctx.peer("ch12-struct-header", "server"), &["0"]);
    let addr = server.address().to_string();
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr],
        "echo hello\nseq 1 3000\n",
        WAIT,
    );
    let seq = testkit::seq(3000);
    if ran.finished && ran.stdout.contains("hello\n") && ran.stdout.contains(&seq) {
        return Ok(());
    }
    Err(format!(
        "Your client should print `hello`, then the 3000 lines of `seq 1 3000`, and end. It \
         printed:\n{}",
        ran.shown()
    ))
}

fn long_header(ctx: &Ctx) -> Outcome {
    let addr = fake_server(|mut conn| {
        let mut cmd = [0u8; 1024];
        let _ = conn.read(&mut cmd);
        let pad = "x".repeat(60_000 - r#"{"data_size":3,"pad":""}"#.len());
        let json = format!(r#"{{"data_size":3,"pad":"{pad}"}}"#);
        let mut frame = (json.len() as i32).to_le_bytes().to_vec();
        frame.extend_from_slice(json.as_bytes());
        frame.extend_from_slice(b"hi\n");
        let _ = conn.write_all(&frame);
        let _ = conn.read(&mut cmd); // until the client hangs up
    });
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string()],
        "echo hi\n",
        WAIT,
    );
    if ran.finished && ran.stdout.lines().any(|line| line == "hi") {
        return Ok(());
    }
    Err(format!(
        "A server sent a header of 60,000 bytes (a JSON object with a long \"pad\"), then \
         the 3 bytes `hi\\n`. A header may be up to 64 KiB (65,536 bytes), so your client \
         should print `hi`. It printed:\n{}",
        ran.shown()
    ))
}

/// The server sends only the 4 bytes of `length`, and keeps the line open.
fn bad_length(ctx: &Ctx, length: i32) -> Outcome {
    let addr = fake_server(move |mut conn| {
        let mut cmd = [0u8; 1024];
        let _ = conn.read(&mut cmd);
        let _ = conn.write_all(&length.to_le_bytes());
        // Nothing more: a client that waits for the header waits until it gives up.
        let _ = conn.read(&mut cmd);
    });
    // Quick, whatever the machine is doing: refusing takes no time.
    let within = Duration::from_secs(5).min(WAIT);
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string()],
        "echo hi\n",
        within,
    );
    if let Some(panic) = ran.panic() {
        return Err(format!(
            "The server sent {length} as the header's length. Your client panicked:\n  {panic}\n\
             A length from the network must be checked before it is used (as a usize, -1 is \
             18446744073709551615): refuse anything outside 1 to 65,536 with an error."
        ));
    }
    if !ran.finished {
        return Err(format!(
            "The server sent {length} as the header's length, then nothing. After {within:?} \
             your client was still waiting, for {length} bytes that no server of ours would \
             send. Check the length first: refuse anything outside 1 to 65,536 at once. It \
             printed:\n{}",
            ran.shown()
        ));
    }
    if !ran.output().contains(&length.to_string()) {
        return Err(format!(
            "The server sent {length} as the header's length. Your client stopped, good; but \
             its message should say what was wrong, with the length it got ({length}), so that \
             whoever reads it can tell a broken server from a broken network. It printed:\n{}",
            ran.shown()
        ));
    }
    Ok(())
}
