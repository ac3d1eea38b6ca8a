//! ch09-1: show where one reply ends. The student's remote-shell server and client, together:
//! every command must get its own reply, whole, however long or short.

use std::time::Duration;

use crate::harness::{Ctx, Outcome, Step, describe, first_missing, run_for, start_server};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "a long reply (seq 1 3000) arrives whole, and the next command gets its own",
            run: |ctx| {
                shell(
                    ctx,
                    "seq 1 3000\necho hello\n",
                    &[&testkit::seq(3000), "\nhello\n"],
                )
            },
        },
        Step {
            what: "a reply of 1,000,000 lines arrives whole",
            run: |ctx| {
                shell(
                    ctx,
                    "seq 1 1000000\necho after\n",
                    &[&testkit::seq(1_000_000), "\nafter\n"],
                )
            },
        },
        Step {
            what: "errors and output both arrive, in the same reply",
            run: |ctx| {
                shell(
                    ctx,
                    "echo out; echo err >&2\necho next\n",
                    &["err\n", "out\n", "\nnext\n"],
                )
            },
        },
        Step {
            what: "a command that prints nothing gets an empty reply, and the next its own",
            run: |ctx| shell(ctx, "true\necho after\n", &["\nafter\n"]),
        },
    ]
}

/// Runs the student's server and client with these commands; the client's output must hold
/// each of `expected`, in order, and the client must end.
fn shell(ctx: &Ctx, input: &str, expected: &[&str]) -> Outcome {
    let (_server, addr) = start_server(&ctx.bin("server"), &[])?;
    let ran = run_for(
        &ctx.bin("client"),
        &["--addr", &addr.to_string()],
        input,
        Duration::from_secs(20),
    );
    let commands = input.trim_end().replace('\n', "`, `");
    if !ran.finished {
        return Err(format!(
            "Your client, given `{commands}`, was still waiting after 20 s: for the end of a \
             reply that had already come, or for a reply to a command that printed nothing? \
             It printed:\n{}",
            ran.shown()
        ));
    }
    if let Some(part) = first_missing(&ran.stdout, expected) {
        let shown = describe(part);
        return Err(format!(
            "Your client, given `{commands}`, should show each reply whole and in \
             order; the output lacks {} where it should be. A reply longer than \
             one recv, or one recv that takes the end of one reply and the start of the \
             next, must not fool the client: the server must mark where each reply \
             ends, and the client read up to that mark. It printed:\n{}",
            shown,
            ran.shown()
        ));
    }
    Ok(())
}
