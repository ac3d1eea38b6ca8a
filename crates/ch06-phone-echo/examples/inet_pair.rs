//! 五 套接字发展史及分类 — AF_INET: a phone call between two programs, addressed by ip:port.
//!
//! The twin of `unix_pair.rs`: the same call, line for line, over the network family. Run
//! both and compare: `cargo run -p ch06-phone-echo --example inet_pair`.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use support::py_bytes;

fn main() -> support::Result {
    // The address: an IP address and a port. Port 0 asks the system for a free one.
    let addr = "127.0.0.1:0";

    // socket(AF_INET, SOCK_STREAM) + bind(addr) + listen(): the server's phone.
    let phone = TcpListener::bind(addr)?;
    let addr = phone.local_addr()?;
    println!(
        "server: listening on {} (AF_INET), port {}",
        addr.ip(),
        port(addr.port())
    );

    // The server answers one call, in a thread of its own.
    let server = thread::spawn(move || -> io::Result<()> {
        let (mut conn, caller) = phone.accept()?;
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf)?;
        // The caller's address: its IP address and the port its system picked for it.
        println!(
            "server: call from {} (AF_INET), port {}",
            caller.ip(),
            port(caller.port())
        );
        println!("server: recv {}", py_bytes(&buf[..n]));
        let reply = buf[..n].to_ascii_uppercase();
        println!("server: send {}", py_bytes(&reply));
        conn.write_all(&reply)?;
        // Then it takes everything the caller sends until the caller hangs up.
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest)?;
        println!("server: recv {} more bytes, then b''", rest.len());
        Ok(())
    });

    // socket(AF_INET, SOCK_STREAM) + connect(addr): the client dials.
    let mut phone = TcpStream::connect(addr)?;
    println!("client: send b'hello'");
    phone.write_all(b"hello")?;
    let mut buf = [0u8; 1024];
    let n = phone.read(&mut buf)?;
    println!("client: recv {}", py_bytes(&buf[..n]));
    phone.write_all(&[b'x'; 100_000])?;
    drop(phone);
    server.join().expect("the server thread")?;

    // What the address was: numbers for the network, nothing on the disk.
    println!(
        "the address was {} and a port: nothing in the file system",
        addr.ip()
    );
    Ok(())
}

/// A port the system chose changes from run to run: say so instead of printing it.
fn port(port: u16) -> &'static str {
    if port == 0 {
        "0"
    } else {
        "chosen by the system"
    }
}
