//! ch08-1: a UDP client that gives up after a time. The student's echo client talks to the
//! article's echo server (`tests/peers/echo_server.py`), then to a socket that never answers.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use crate::harness::{Ctx, Outcome, Ran, Step, run_for};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "with the article's server, every line gets its answer (--timeout 2)",
            run: answered,
        },
        Step {
            what: "with nobody answering, each line is given up after --timeout, and the next is sent",
            run: unanswered,
        },
    ]
}

fn no_flag(ran: &Ran) -> Option<String> {
    ran.stderr.contains("--timeout").then(|| {
        format!(
            "Your client does not take --timeout yet. Add it (a number of seconds, fractions \
             allowed: `value_parser = support::parse_secs`, as every timeout in this book). It \
             said:\n{}",
            ran.shown()
        )
    })
}

fn answered(ctx: &Ctx) -> Outcome {
    let mut server = testkit::python(ctx.peer("ch08-udp-chat", "echo_server"), &["0"]);
    let addr = server.address().to_string();
    let ran = run_for(
        &ctx.bin("echo-client"),
        &["--addr", &addr, "--timeout", "2"],
        "hello\nworld\n",
        Duration::from_secs(10),
    );
    if let Some(why) = no_flag(&ran) {
        return Err(why);
    }
    if ran.finished && ran.stdout.contains("HELLO") && ran.stdout.contains("WORLD") {
        return Ok(());
    }
    Err(format!(
        "With the article's echo server, `hello` and `world` should each get their answer \
         (HELLO, WORLD) and the client should end. It printed:\n{}",
        ran.shown()
    ))
}

fn unanswered(ctx: &Ctx) -> Outcome {
    // A socket that takes datagrams and never answers: a server that is down or too busy, or
    // a network that lost the answer.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port");
    silent
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a read timeout");
    let addr = silent.local_addr().expect("its address").to_string();
    let started = Instant::now();
    let ran = run_for(
        &ctx.bin("echo-client"),
        &["--addr", &addr, "--timeout", "0.5"],
        "one\ntwo\n",
        Duration::from_secs(10),
    );
    let took = started.elapsed();
    if let Some(why) = no_flag(&ran) {
        return Err(why);
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while let Ok(n) = silent.recv(&mut buf) {
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    if !ran.finished {
        return Err(format!(
            "Nobody answered `one`, and after 10 s your client (--timeout 0.5) was still \
             waiting. recvfrom waits for ever unless the socket has a read timeout \
             (set_read_timeout); when it runs out, recv_from returns an error of kind \
             WouldBlock or TimedOut: say that no answer came, and go on. It printed:\n{}",
            ran.shown()
        ));
    }
    if got != ["one", "two"] {
        return Err(format!(
            "Nobody answered; your client should give `one` up after 0.5 s and still send \
             `two`. The silent server got {got:?}. It printed:\n{}",
            ran.shown()
        ));
    }
    if took < Duration::from_millis(900) {
        return Err(format!(
            "Nobody answered, and your client (--timeout 0.5) gave up on both lines in \
             {took:.2?}: it should wait 0.5 s for each answer first."
        ));
    }
    if let Some(panic) = ran.panic() {
        return Err(format!("Your client panicked:\n  {panic}"));
    }
    Ok(())
}
