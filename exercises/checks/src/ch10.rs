//! ch10-1: put the messages back together. The student's client sends messages, each with a
//! send of its own; their server must print each message once, whole, however the bytes were
//! merged on the way (cause 1) or cut by small recvs (cause 2).

use std::process::Command;

use support::py_bytes;

use crate::harness::{Ctx, Outcome, Step, WAIT, run_for, spawn_server};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "cause 1: hello and feng, sent back to back and read after both arrived",
            run: |ctx| messages(ctx, &["--pause"], &["hello", "feng"]),
        },
        Step {
            what: "cause 2: `hello feng` and `x`, read 3 bytes a recv (--recv-size 3)",
            run: |ctx| messages(ctx, &["--recv-size", "3"], &["hello feng", "x"]),
        },
        Step {
            what: "many messages, read after all arrived",
            run: |ctx| {
                let many = [
                    "a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh",
                ];
                messages(ctx, &["--pause", "--recv-size", "5"], &many)
            },
        },
        Step {
            what: "an empty message, and one with a newline in it, are messages too",
            run: |ctx| messages(ctx, &["--pause"], &["", "two\nlines", "end"]),
        },
    ]
}

/// Starts the server with `server_args`, sends `sent` with the client, lets a pausing server
/// read, and checks that it printed `message b'...'` for each message, in order, and nothing
/// else of the kind.
fn messages(ctx: &Ctx, server_args: &[&str], sent: &[&str]) -> Outcome {
    let mut command = Command::new(ctx.bin("server"));
    command.args(["--addr", "127.0.0.1:0"]).args(server_args);
    let (mut server, addr) = spawn_server(command)?;
    let mut args = vec!["--addr".to_owned(), addr.to_string()];
    for message in sent {
        args.extend(["--send".to_owned(), (*message).to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = run_for(&ctx.bin("client"), &args, "", WAIT);
    if !client.success {
        return Err(format!(
            "Your client did not end well. It printed:\n{}",
            client.shown()
        ));
    }
    if server_args.contains(&"--pause") {
        server.line_containing("press Enter");
        server.write("\n");
    }
    let expected: Vec<String> = sent
        .iter()
        .map(|message| format!("message {}", py_bytes(message.as_bytes())))
        .collect();
    let (mut printed, mut all) = (Vec::new(), Vec::new());
    // Up to the end of the call: `call from ADDR ended`.
    while let Some(line) = server.line_within(WAIT) {
        all.push(line.clone());
        if line.starts_with("message ") {
            printed.push(line);
        } else if line.contains("ended") {
            break;
        }
    }
    if printed == expected {
        return Ok(());
    }
    let sends: Vec<String> = sent.iter().map(|m| py_bytes(m.as_bytes())).collect();
    Err(format!(
        "The client sent {}, each with a send of its own (server: {}). The server should print \
         one line for each message, `message b'...'`, in order:\n  {}\nIt printed:\n  {}\n\
         TCP keeps no boundaries: the receiver must be told where each message ends (its \
         length first, say), and read exactly that much, however the bytes come.",
        sends.join(", "),
        server_args.join(" "),
        expected.join("\n  "),
        all.join("\n  ")
    ))
}
