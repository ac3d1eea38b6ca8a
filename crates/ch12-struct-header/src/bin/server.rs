//! 十二 峰哥解决粘包的方法 — the remote shell, each reply in a frame.
//!
//! Every reply is one frame: 4 bytes that give the header's length, a JSON header that gives
//! the data's size, then the data (see the crate's lib.rs). The client reads exactly what each
//! part says, so replies can no longer stick, and no extra round trip is needed.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use anyhow::Context;
use ch12_struct_header::{Reply, pack_header};
use clap::Parser;
use socket2::{Domain, Socket, Type};
use support::{py_bytes, shell};

fn main() -> support::Result {
    let args = Args::parse();
    // This server runs any command it is sent: only this machine may reach it, unless you insist.
    shell::refuse_remote(args.addr, args.allow_remote)?;

    // socket(), SO_REUSEADDR, bind(), listen(5): the phone from ch07.
    let phone = Socket::new(Domain::for_address(args.addr), Type::STREAM, None)?;
    phone.set_reuse_address(true)?;
    phone
        .bind(&args.addr.into())
        .with_context(|| format!("could not bind {}", args.addr))?;
    phone.listen(5)?;
    let phone = TcpListener::from(phone);
    println!("listening on {}", phone.local_addr()?);

    // The link loop: one client after another.
    loop {
        // accept(): pick up.
        let (conn, addr) = phone.accept()?;
        println!("call from {addr}");
        match talk(conn) {
            Ok(()) => println!("call from {addr} ended"),
            Err(error) => println!("call from {addr} ended: {error}"),
        }
    }
}

/// The comm loop: a command in, its output back, until the client hangs up.
fn talk(mut conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    loop {
        // recv(1024): the command. 0 bytes: the client hung up.
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        println!("recv {}", py_bytes(&buf[..n]));
        let out = shell::run(&String::from_utf8_lossy(&buf[..n]));

        // The reply carries both: the errors, then the output.
        let mut data = out.stderr;
        data.extend_from_slice(&out.stdout);

        // The frame: struct.pack('i', len(header)), the JSON header, then the data.
        let header = Reply {
            data_size: data.len() as u64,
        };
        let mut frame = pack_header(&header)?;
        println!("send {} and {} bytes of data", py_bytes(&frame), data.len());
        frame.extend_from_slice(&data);
        // One sendall for the whole frame: a small header sent on its own could wait for the
        // client's acknowledgement before the data may follow (Nagle's algorithm, ch10).
        conn.write_all(&frame)?;
    }
}

/// The server end of 十二 峰哥解决粘包的方法: a remote shell that frames its replies.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8012", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Allow listening on an address other machines can reach (anyone there can run commands)
    #[arg(long)]
    allow_remote: bool,
}
