//! ch06-1: survive the empty line. The student's client talks to the article's echo server
//! (ch07's `tests/peers/server.py`, which upper-cases what it gets).

use std::time::Duration;

use crate::harness::{Ctx, Outcome, Ran, Step, run_for};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "every line gets its answer (hello, then world)",
            run: |ctx| talk(ctx, "hello\nworld\n", &["HELLO", "WORLD"], &[]),
        },
        Step {
            what: "an empty line does not hang the client: the next line still gets its answer",
            run: |ctx| talk(ctx, "hello\n\nworld\n", &["HELLO", "WORLD"], &[]),
        },
        Step {
            what: "a line of spaces neither",
            run: |ctx| talk(ctx, "hello\n   \nworld\n", &["HELLO", "WORLD"], &[]),
        },
        Step {
            what: "`quit` hangs up: nothing after it is sent",
            run: |ctx| talk(ctx, "hello\nquit\nnever\n", &["HELLO"], &["NEVER"]),
        },
    ]
}

/// Runs the client with `input` against the article's server; its output must show each of
/// `answers`, and none of `never`, and it must end.
fn talk(ctx: &Ctx, input: &str, answers: &[&str], never: &[&str]) -> Outcome {
    let mut server = testkit::python(ctx.peer("ch07-link-loop", "server"), &["0"]);
    let addr = server.address().to_string();
    let within = Duration::from_secs(5);
    let ran = run_for(&ctx.bin("client"), &["--addr", &addr], input, within);
    let shown_input = input.replace('\n', "\\n");
    if !ran.finished {
        return Err(format!(
            "With the lines \"{shown_input}\", your client was still running after {within:?}. \
             An empty line sends 0 bytes: nothing reaches the server, no answer comes, and \
             recv waits for ever. Skip empty lines before you send. It printed:\n{}",
            ran.shown()
        ));
    }
    let missing: Vec<&str> = answers
        .iter()
        .copied()
        .filter(|a| !ran.stdout.contains(a))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "With the lines \"{shown_input}\", your client should show the server's answers \
             {answers:?}; {missing:?} did not show. It printed:\n{}",
            ran.shown()
        ));
    }
    if let Some(sent) = never.iter().find(|n| ran.stdout.contains(*n)) {
        return Err(quit_message(sent, &ran));
    }
    Ok(())
}

fn quit_message(sent: &str, ran: &Ran) -> String {
    format!(
        "After `quit`, your client still sent the next line (the server answered {sent}). \
         `quit` should end the loop: hang up, and send nothing more. It printed:\n{}",
        ran.shown()
    )
}
