//! ch11-1: count each recv, not the whole reply so far (the article's `recv_size` bug). The
//! student's client talks to the article's server (`tests/peers/server.py`), then to one that
//! sends its reply in small pieces.

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use crate::harness::{Ctx, Outcome, Step, describe, fake_server, first_missing, run_for};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "a short reply (echo hello) arrives whole",
            run: |ctx| articles_server(ctx, "echo hello\n", &["hello\n"]),
        },
        Step {
            what: "a long reply (seq 1 3000, 13893 bytes) arrives whole, then the next one",
            run: |ctx| {
                articles_server(
                    ctx,
                    "seq 1 3000\necho hello\n",
                    &[&testkit::seq(3000), "\nhello\n"],
                )
            },
        },
        Step {
            what: "a reply sent in pieces of 100 bytes arrives whole",
            run: in_pieces,
        },
    ]
}

/// The client, with `input`, against the article's server: its output must hold each of
/// `expected`, in order.
fn articles_server(ctx: &Ctx, input: &str, expected: &[&str]) -> Outcome {
    let mut server = testkit::python(ctx.peer("ch11-naive-length", "server"), &["0"]);
    let addr = server.address().to_string();
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr],
        input,
        Duration::from_secs(10),
    );
    in_order(&ran, input, expected)
}

fn in_order(ran: &crate::harness::Ran, input: &str, expected: &[&str]) -> Outcome {
    let commands = input.trim_end().replace('\n', "`, `");
    if let Some(part) = first_missing(&ran.stdout, expected) {
        let shown = describe(part);
        return Err(format!(
            "Your client, given `{commands}`, should print each reply whole; its output \
             lacks {shown} where it should be. Look at the `[N bytes]` line: is N \
             the length the server announced? Count what each recv returned, not the \
             whole reply so far. It printed:\n{}",
            ran.shown()
        ));
    }
    if !ran.finished {
        return Err(format!(
            "Your client, given `{commands}`, did not end. It printed:\n{}",
            ran.shown()
        ));
    }
    Ok(())
}

fn in_pieces(ctx: &Ctx) -> Outcome {
    let reply = testkit::seq(400);
    let data = reply.clone().into_bytes();
    let addr = fake_server(move |mut conn| {
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf); // the command
        let _ = conn.write_all(data.len().to_string().as_bytes());
        let _ = conn.read(&mut buf); // recv_ready
        for piece in data.chunks(100) {
            let _ = conn.write_all(piece);
            thread::sleep(Duration::from_millis(5));
        }
        let _ = conn.read(&mut buf); // until the client hangs up
    });
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string()],
        "seq 1 400\n",
        Duration::from_secs(10),
    );
    in_order(
        &ran,
        "seq 1 400\n",
        &[&format!("[{} bytes]\n", reply.len()), &reply],
    )
}
