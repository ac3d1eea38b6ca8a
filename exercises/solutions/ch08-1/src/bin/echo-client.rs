//! Exercise ch08-1, a solution — ch08's echo client, which waits at most `--timeout` seconds
//! for each answer, then says that none came and goes on with the next line.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use support::py_bytes;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM), bound to a port the kernel picks: a phone of our own.
    // (Python binds it for you at the first sendto.) No connect: there is no call to dial.
    let local = support::client_bind_addr([args.addr]);
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;
    // recvfrom waits at most this long; then it fails with WouldBlock (TimedOut on Windows).
    phone.set_read_timeout(Some(args.timeout))?;

    let mut buf = [0u8; 1024];
    for msg in support::input(">>: ") {
        if msg == "quit" {
            break;
        }

        // sendto(): one datagram, addressed to the server. An empty line is an empty datagram,
        // and it really is sent (a TCP send of 0 bytes sends nothing; see ch06).
        phone
            .send_to(msg.as_bytes(), args.addr)
            .with_context(|| format!("could not send to {}", args.addr))?;
        println!("sendto {}", py_bytes(msg.as_bytes()));

        // recvfrom(1024): the answer, and who sent it; or nothing, within the time limit.
        match phone.recv_from(&mut buf) {
            Ok((n, addr)) => println!("recvfrom {} from {addr}", py_bytes(&buf[..n])),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                println!("no answer within {:?}", args.timeout);
            }
            Err(error) => Err(error).context("recvfrom failed")?,
        }
    }

    // close(): switch the phone off. (Dropping the socket closes it.)
    drop(phone);
    Ok(())
}

/// Exercise ch08-1: 八's echo client, which sends each line and prints the answer.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8008", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// How long to wait for each answer, in seconds (e.g. 2 or 0.5)
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = support::parse_secs)]
    timeout: Duration,
}
