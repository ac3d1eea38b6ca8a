//! Exercise ch12-1, a solution — ch12's client, which checks the header's length before it
//! believes it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use ch12_struct_header::{MAX_HEADER, Reply, recv_data};
use clap::Parser;

fn main() -> support::Result {
    let args = Args::parse();

    // socket() + connect(): dial the server.
    let mut phone = TcpStream::connect(args.addr)
        .with_context(|| format!("could not connect to {}", args.addr))?;

    for cmd in support::input(">>: ") {
        if cmd.is_empty() {
            continue;
        }
        if cmd == "quit" {
            break;
        }

        // send(): the command.
        phone.write_all(cmd.as_bytes())?;

        // recv exactly 4 bytes, then exactly that many: the header. None: the server hung up.
        let Some(header) = recv_header(&mut phone)? else {
            println!("the server hung up");
            break;
        };

        // recv exactly data_size bytes: the reply, however many recv calls it takes.
        let reply = recv_data(&mut phone, header.data_size, MAX_REPLY)?;
        support::show_reply(&reply);
    }

    // close(): hang up.
    drop(phone);
    Ok(())
}

/// The article's client: `header_len = struct.unpack('i', phone.recv(4))[0]`, then
/// `phone.recv(header_len)`, then `json.loads`. (With read_exact for both recvs: chapter
/// 十二's errata.) `Ok(None)` if the server hung up before a new reply began.
fn recv_header(phone: &mut TcpStream) -> anyhow::Result<Option<Reply>> {
    // struct.unpack('i', 4 bytes): a signed 32-bit length, least significant byte first.
    let mut len_bytes = [0u8; 4];
    match phone.read_exact(&mut len_bytes) {
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        result => result?,
    }
    let header_len = i32::from_le_bytes(len_bytes);

    // A header is 1 to 64 KiB (MAX_HEADER). Any other length is a broken or hostile server:
    // refused before a byte is allocated or awaited for it.
    let size = usize::try_from(header_len)
        .ok()
        .filter(|size| (1..=MAX_HEADER).contains(size))
        .with_context(|| format!("bad header length {header_len}: expected 1 to {MAX_HEADER}"))?;

    // recv(size): the JSON header.
    let mut json = vec![0u8; size];
    phone.read_exact(&mut json)?;
    Ok(Some(serde_json::from_slice(&json)?))
}

/// The longest reply this client accepts: a lying server must not make it take all memory.
const MAX_REPLY: u64 = 1 << 30;

/// Exercise ch12-1: ch12's remote-shell client.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8012", value_parser = support::parse_addr)]
    addr: SocketAddr,
}
