//! The socketserver module on its own, with a small handler: `handle` gets the connection, the
//! client's address and the server; a panic or an error in one handler ends only its own
//! connection; and each connection has a thread, so a slow one holds up nobody.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use socketserver::{BaseRequestHandler, ThreadingTCPServer};
use testkit::connect;

/// Reads lines: `panic` panics, `error` returns an error, anything else is answered with who
/// is talking to whom (`self.client_address` and `self.server.server_address`).
struct Echo;

impl BaseRequestHandler for Echo {
    fn handle(
        &self,
        request: TcpStream,
        client_address: SocketAddr,
        server: &ThreadingTCPServer<Self>,
    ) -> io::Result<()> {
        let mut reply = request.try_clone()?;
        for line in BufReader::new(request).lines() {
            match line?.as_str() {
                "panic" => panic!("asked to"),
                "error" => return Err(io::Error::other("asked to")),
                _ => writeln!(reply, "{client_address} -> {}", server.server_address)?,
            }
        }
        Ok(())
    }
}

/// Starts the server on a free port in a thread of the test; returns its address.
fn serve() -> SocketAddr {
    let server = ThreadingTCPServer::new("127.0.0.1:0".parse().unwrap(), Echo).unwrap();
    let addr = server.server_address;
    assert_ne!(
        addr.port(),
        0,
        "server_address is the port the system picked"
    );
    thread::spawn(move || server.serve_forever());
    addr
}

/// Asks a question on `conn` and checks the answer: who is talking to whom.
fn answered(conn: &mut TcpStream, server: SocketAddr) {
    let me = conn.local_addr().unwrap();
    conn.write_all(b"who?\n").unwrap();
    let mut answer = String::new();
    BufReader::new(conn).read_line(&mut answer).unwrap();
    assert_eq!(answer, format!("{me} -> {server}\n"));
}

/// Whether the server closed the connection.
fn closed(conn: TcpStream) -> bool {
    let mut rest = String::new();
    matches!(BufReader::new(conn).read_line(&mut rest), Ok(0) | Err(_))
}

#[test]
fn handle_gets_the_request_the_client_address_and_the_server() {
    let addr = serve();
    answered(&mut connect(addr), addr);
}

#[test]
fn a_panic_or_an_error_ends_only_its_own_connection() {
    let addr = serve();
    let mut bystander = connect(addr);
    for fatal in ["panic", "error"] {
        let mut conn = connect(addr);
        conn.write_all(format!("{fatal}\n").as_bytes()).unwrap();
        assert!(closed(conn), "{fatal}: the connection is closed");
        // The connection that was open all along is still served, and so is a new one.
        answered(&mut bystander, addr);
        answered(&mut connect(addr), addr);
    }
}

#[test]
fn a_silent_connection_holds_up_nobody() {
    let addr = serve();
    let _silent: Vec<TcpStream> = (0..10).map(|_| connect(addr)).collect();
    answered(&mut connect(addr), addr);
}

#[test]
fn a_taken_address_is_one_clear_error() {
    let addr = serve();
    let error = ThreadingTCPServer::new(addr, Echo).err().unwrap();
    assert_eq!(
        format!("{error:#}"),
        format!("could not bind {addr}: Address already in use (os error 98)")
    );
}
