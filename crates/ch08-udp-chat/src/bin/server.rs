//! 八 基于UDP的套接字 — the QQ chat's server (qq聊天).
//!
//! It shows each message with the sender's address, then waits for you to type a reply and
//! sends it back to that address. Because UDP has no connections, any number of clients can
//! chat with it at once: their messages wait in the socket's queue while you type.
//!
//! When its input ends (Ctrl-D, or the end of piped replies) and a message arrives, there is
//! nobody left to answer it: the server says so and exits cleanly. The client it leaves is
//! not told (nothing tells a UDP peer anything) and waits for ever, as the article's would.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::{BUFSIZE, colour, message_line, recv_from};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket(AF_INET, SOCK_DGRAM) + bind(): buy a phone (买手机) and put the SIM card in.
    let phone =
        UdpSocket::bind(args.addr).with_context(|| format!("could not bind {}", args.addr))?;
    println!("listening on {}", phone.local_addr()?);

    // The replies you type, one line each (回复消息: "reply:").
    let mut replies = support::input("reply: ");
    let colour = colour();
    let mut buf = [0u8; BUFSIZE];
    loop {
        // recvfrom(1024): the next message, from whoever sent it.
        let (msg, addr) = recv_from(&phone, &mut buf);
        // 来自[127.0.0.1:5000]的一条消息: "a message from [127.0.0.1:5000]:", highlighted.
        println!("{}", message_line(addr, msg, colour));

        // input('回复消息: ').strip(): you type the answer. The other clients' messages wait.
        let Some(reply) = replies.next() else {
            println!("end of input: nobody to type a reply to {addr}, closing");
            return Ok(());
        };

        // sendto(): the reply goes to the address the message came from.
        if let Err(error) = phone.send_to(reply.as_bytes(), addr) {
            println!("sendto {addr} failed: {error}");
        }
    }
}

/// The server of 八's QQ chat: shows each message, sends back the reply you type.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8018", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
