//! ch07-1: restart on the same port. The student's server is stopped while a caller is
//! connected (so its side of the call goes through TIME_WAIT), then started again on the same
//! port at once.

use std::io::{Read, Write};
use std::process::Command;

use crate::harness::{
    Ctx, Got, Outcome, Step, WAIT, dial, recv_exactly, spawn_server, start_server,
};

pub fn steps() -> Vec<Step> {
    vec![
        Step {
            what: "two callers, one after the other, are both answered",
            run: callers,
        },
        Step {
            what: "stopped in the middle of a call, the server starts again at once on its port",
            run: restart,
        },
    ]
}

/// Says `word` on a new call and checks the answer.
fn call(addr: std::net::SocketAddr, word: &[u8]) -> Result<std::net::TcpStream, String> {
    let mut conn = dial(addr)?;
    conn.write_all(word).map_err(|e| e.to_string())?;
    match recv_exactly(&mut conn, word.len(), WAIT) {
        Got::All(answer) if answer == word.to_ascii_uppercase() => Ok(conn),
        got => Err(format!(
            "A caller said {:?}; the answer should be {:?}, it was {got:?}",
            String::from_utf8_lossy(word),
            String::from_utf8_lossy(&word.to_ascii_uppercase())
        )),
    }
}

fn callers(ctx: &Ctx) -> Outcome {
    let (_server, addr) = start_server(&ctx.bin("server"), &[])?;
    drop(call(addr, b"first")?);
    call(addr, b"second").map(drop)
}

fn restart(ctx: &Ctx) -> Outcome {
    let (mut server, addr) = start_server(&ctx.bin("server"), &[])?;
    let mut caller = call(addr, b"hi")?;
    // The server goes down first, in the middle of the call: its side closes first, and so
    // its side of the call waits in TIME_WAIT.
    server.kill();
    let mut rest = Vec::new();
    let _ = caller.read_to_end(&mut rest);
    drop(caller);
    let mut command = Command::new(ctx.bin("server"));
    command.args(["--addr", &addr.to_string()]);
    match spawn_server(command) {
        Ok((_again, same)) if same == addr => Ok(()),
        Ok((_again, other)) => Err(format!("The server came back on {other}, not {addr}.")),
        Err(why) => Err(format!(
            "The server was stopped in the middle of a call, and started again at once with \
             --addr {addr}. It could not:\n{why}\nThe old call's address is still in \
             TIME_WAIT; SO_REUSEADDR, set before bind, lets a server bind it all the same."
        )),
    }
}
