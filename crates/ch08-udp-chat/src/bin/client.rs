//! 八 基于UDP的套接字 — the QQ chat's client.
//!
//! Choose whom to talk to from the numbered contact book (请选择聊天对象), by number or name,
//! then type messages (请输入消息,回车发送); each is sent to that contact, and the reply is
//! shown with the address it came from. `quit` goes back to choosing; `quit` when choosing,
//! or the end of input, stops. Empty messages are skipped, as in the article.
//!
//! The book is the article's four friends, all at `--addr`: in the article, one server plays
//! all of them, and the client says so. Add others with `--contact NAME=HOST:PORT`.

use std::net::{SocketAddr, UdpSocket};

use anyhow::Context;
use ch08_udp_chat::{BUFSIZE, ContactBook, Keyboard, colour, message_line};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();
    // qq_name_dic: who is reachable at which address.
    let mut book = ContactBook::articles(args.addr);
    for (name, addr) in args.contact {
        book.add(name, addr);
    }

    // socket(AF_INET, SOCK_DGRAM) on a port the kernel picks. One socket talks to everybody:
    // each sendto names its own destination.
    let local = support::client_bind_addr(book.addrs());
    let phone = UdpSocket::bind(local).with_context(|| format!("could not bind {local}"))?;

    let colour = colour();
    let mut keyboard = Keyboard::new();
    let mut buf = [0u8; BUFSIZE];
    println!("your contacts (choose one by its number or its name):");
    for line in book.listing() {
        println!("{line}");
    }
    // 请选择聊天对象: "choose whom to chat with". The article wants the exact name (狗哥alex
    // needs a Chinese input method) and checks it only after you type a message, then drops
    // your messages without a word; we take a number or a part of a name, and check at once.
    'choosing: while let Some(answer) = keyboard.ask("choose whom to chat with: ") {
        if answer.is_empty() {
            continue;
        }
        if answer == "quit" {
            break;
        }
        let (qq_name, to) = match book.choose(&answer) {
            Ok(contact) => contact,
            Err(why) => {
                println!("{why}");
                continue;
            }
        };
        println!("chatting with {qq_name} at {to} (quit to choose again)");

        // 请输入消息,回车发送: "type a message, Enter sends it".
        loop {
            let Some(msg) = keyboard.ask("type a message, Enter sends it: ") else {
                break 'choosing; // the end of input
            };
            if msg == "quit" {
                break;
            }
            if msg.is_empty() {
                continue;
            }
            // sendto(): the message goes to the chosen contact's address.
            phone
                .send_to(msg.as_bytes(), to)
                .with_context(|| format!("could not send to {to}"))?;

            // recvfrom(1024): the reply, and the address it came from.
            let (n, addr) = phone.recv_from(&mut buf).context("recvfrom failed")?;
            println!("{}", message_line(addr, &buf[..n], colour));
        }
    }

    // close(): switch the phone off.
    drop(phone);
    Ok(())
}

/// The client of 八's QQ chat: choose a contact, send messages, read the replies.
#[derive(Parser)]
struct Args {
    /// Address of the server that plays the article's four contacts
    #[arg(long, default_value = "127.0.0.1:8018", value_parser = support::parse_addr)]
    addr: SocketAddr,

    /// Another contact, NAME=HOST:PORT (repeat for more; a known name gets the new address)
    #[arg(long, value_name = "NAME=HOST:PORT", value_parser = ch08_udp_chat::parse_contact)]
    contact: Vec<(String, SocketAddr)>,
}
