//! 六 套接字工作流程 — every call in the article's table of socket functions, made on a real
//! connection, with its Rust name beside the Python one.
//!
//! Run it with `cargo run -p ch06-phone-echo --example socket_tour`. Each line is
//! `Python | Rust | what it did`. Ports change from run to run, so they are compared, never
//! printed.

use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use support::py_bytes;

fn main() -> support::Result {
    // socket(family, type, proto=0): socket2 makes the socket alone, as Python does.
    let phone = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    row(
        "socket(AF_INET, SOCK_STREAM)",
        "Socket::new(Domain::IPV4, Type::STREAM, None)",
        "a TCP socket".into(),
    );

    // setsockopt / getsockopt: one method each per option.
    phone.set_reuse_address(true)?;
    row(
        "setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)",
        "phone.set_reuse_address(true)",
        "ok".into(),
    );
    row(
        "getsockopt(SOL_SOCKET, SO_REUSEADDR)",
        "phone.reuse_address()",
        phone.reuse_address()?.to_string(),
    );

    // bind, listen, getsockname.
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    phone.bind(&addr.into())?;
    row(
        "bind(('127.0.0.1', 0))",
        "phone.bind(&addr.into())",
        "ok".into(),
    );
    phone.listen(5)?;
    row("listen(5)", "phone.listen(5)", "ok".into());
    let phone = TcpListener::from(phone);
    let addr = phone.local_addr()?;
    row(
        "getsockname()",
        "phone.local_addr()",
        format!("{} and a port the system chose", addr.ip()),
    );

    // connect, accept, getpeername.
    let mut client = TcpStream::connect(addr)?;
    row(
        "connect(addr)",
        "TcpStream::connect(addr)",
        "connected".into(),
    );
    let (mut conn, caller) = phone.accept()?;
    row(
        "conn, addr = accept()",
        "let (conn, addr) = phone.accept()?",
        format!(
            "addr is the client's address: {}",
            caller == client.local_addr()?
        ),
    );
    row(
        "getpeername()",
        "conn.peer_addr()",
        format!(
            "the client's address: {}",
            conn.peer_addr()? == client.local_addr()?
        ),
    );

    // connect_ex: an error number instead of an exception. Rust returns a Result either way.
    let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?; // bound, then closed at once
    let result = match TcpStream::connect(closed) {
        Ok(_) => "connected?".to_owned(),
        Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
            let errno = error.raw_os_error().unwrap_or_default();
            format!("Err: kind ConnectionRefused (connect_ex's number: {errno})")
        }
        Err(error) => format!("Err: {error}"),
    };
    row(
        "connect_ex(closed_addr)",
        "match TcpStream::connect(..)",
        result,
    );

    // send returns how many bytes it took; recv returns what has arrived, up to the size.
    let taken = client.write(b"hello")?;
    row(
        "send(b'hello')",
        "client.write(b\"hello\")",
        format!("{taken}: bytes taken"),
    );
    let mut buf = [0u8; 1024];
    let n = conn.read(&mut buf)?;
    row("recv(1024)", "conn.read(&mut buf)", py_bytes(&buf[..n]));

    // setblocking(False): calls return at once. A send takes what fits, a recv with nothing to
    // read fails with WouldBlock instead of waiting.
    let big = vec![b'x'; 32 << 20];
    client.set_nonblocking(true)?;
    row(
        "setblocking(False)",
        "client.set_nonblocking(true)",
        "ok".into(),
    );
    let taken = client.write(&big)?;
    row(
        "send(32 MiB), non-blocking",
        "client.write(&big)",
        format!("took fewer than {}: {}", big.len(), taken < big.len()),
    );
    let result = match client.read(&mut buf) {
        Err(error) if error.kind() == ErrorKind::WouldBlock => "Err: kind WouldBlock, at once",
        _ => "something else",
    };
    row(
        "recv(1024), nothing to read",
        "client.read(&mut buf)",
        result.into(),
    );
    client.set_nonblocking(false)?;
    row(
        "setblocking(True)",
        "client.set_nonblocking(false)",
        "ok".into(),
    );
    let mut drained = vec![0u8; taken];
    conn.read_exact(&mut drained)?;

    // sendall: send until every byte is taken. The server reads meanwhile, in a thread.
    let mut reader = conn.try_clone()?;
    let expected = big.len();
    let receiving = thread::spawn(move || {
        let mut got = vec![0u8; expected];
        reader.read_exact(&mut got).map(|()| got.len())
    });
    client.write_all(&big)?;
    let got = receiving.join().expect("the reading thread")?;
    row(
        "sendall(32 MiB)",
        "client.write_all(&big)",
        format!("{got} bytes arrived"),
    );

    // settimeout / gettimeout: Rust has one for reads and one for writes.
    client.set_read_timeout(Some(Duration::from_millis(200)))?;
    row(
        "settimeout(0.2)",
        "client.set_read_timeout(Some(200 ms))",
        "ok (and set_write_timeout)".into(),
    );
    row(
        "gettimeout()",
        "client.read_timeout()",
        format!("{:?}", client.read_timeout()?),
    );
    let result = match client.read(&mut buf) {
        // Unix says WouldBlock, Windows TimedOut: both mean the time ran out.
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            "Err after 0.2 s: timed out"
        }
        _ => "something else",
    };
    row(
        "recv(1024), nothing to read",
        "client.read(&mut buf)",
        result.into(),
    );
    client.set_read_timeout(None)?;
    row(
        "settimeout(None)",
        "client.set_read_timeout(None)",
        format!("read_timeout() is {:?}", client.read_timeout()?),
    );

    // fileno: the operating system's number for the socket.
    row("fileno()", fileno_call(), fileno(&client));

    // makefile: a buffered reader and writer over the socket, as over a file.
    let mut writer = BufWriter::new(&client);
    writer.write_all(b"line one\nline two\n")?;
    writer.flush()?;
    drop(writer);
    let mut lines = BufReader::new(&conn);
    let mut line = Vec::new();
    lines.read_until(b'\n', &mut line)?;
    row(
        "makefile('rwb'), readline()",
        "BufReader::new(&conn).read_until(b'\\n')",
        py_bytes(&line),
    );

    // close: dropping the socket closes it; the other end's recv then returns b''.
    drop(client);
    row("close()", "drop(client)", "closed".into());
    let mut rest = Vec::new();
    lines.read_to_end(&mut rest)?;
    row(
        "the rest, after the close",
        "lines.read_to_end(&mut rest)",
        format!("{}, then b'': the end", py_bytes(&rest)),
    );

    // UDP: sendto and recvfrom carry the address with each datagram.
    let udp_server = UdpSocket::bind("127.0.0.1:0")?;
    let udp_client = UdpSocket::bind("127.0.0.1:0")?;
    row(
        "socket(AF_INET, SOCK_DGRAM) + bind",
        "UdpSocket::bind(\"127.0.0.1:0\")",
        "two UDP sockets".into(),
    );
    let sent = udp_client.send_to(b"hi", udp_server.local_addr()?)?;
    row(
        "sendto(b'hi', addr)",
        "udp_client.send_to(b\"hi\", addr)",
        format!("{sent}: bytes sent"),
    );
    let (n, from) = udp_server.recv_from(&mut buf)?;
    row(
        "recvfrom(1024)",
        "udp_server.recv_from(&mut buf)",
        format!(
            "{} from the client's address: {}",
            py_bytes(&buf[..n]),
            from == udp_client.local_addr()?
        ),
    );
    Ok(())
}

/// One line of the tour: the Python call, the Rust call, what it did.
fn row(python: &str, rust: &str, result: String) {
    println!("{python:<38} | {rust:<46} | {result}");
}

#[cfg(unix)]
fn fileno_call() -> &'static str {
    "client.as_raw_fd()"
}

#[cfg(unix)]
fn fileno(socket: &TcpStream) -> String {
    use std::os::fd::AsRawFd;
    // The number changes with what else the program has open: compare, do not print.
    format!("a small integer, as in strace: {}", socket.as_raw_fd() >= 0)
}

#[cfg(windows)]
fn fileno_call() -> &'static str {
    "client.as_raw_socket()"
}

#[cfg(windows)]
fn fileno(socket: &TcpStream) -> String {
    use std::os::windows::io::AsRawSocket;
    format!("a SOCKET handle: {}", socket.as_raw_socket() != 0)
}
