//! 五 套接字发展史及分类 — AF_UNIX: a phone call between two programs on one machine,
//! addressed by a path.
//!
//! The twin of `inet_pair.rs`: the same call, line for line, in the Unix family. Run both and
//! compare: `cargo run -p ch06-phone-echo --example unix_pair`. The article says AF_UNIX
//! sockets "use the file system to fetch the data". They do not: the path is only a name to
//! dial. The bytes travel through buffers in the kernel, as over TCP, and the socket file
//! stays empty (see the last lines).

#[cfg(unix)]
fn main() -> support::Result {
    use std::fs;
    use std::io::{self, Read, Write};
    use std::os::unix::fs::FileTypeExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::thread;

    use support::py_bytes;

    // The address: a path. It must not exist yet; bind creates it.
    let folder = tempfile::tempdir()?;
    let addr = folder.path().join("phone.sock");

    // socket(AF_UNIX, SOCK_STREAM) + bind(path) + listen(): the server's phone.
    let phone = UnixListener::bind(&addr)?;
    println!("server: listening on {} (AF_UNIX)", name(&addr));

    // The server answers one call, in a thread of its own.
    let server = thread::spawn(move || -> io::Result<()> {
        let (mut conn, caller) = phone.accept()?;
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf)?;
        // A client that did not bind has no name: its address is empty ("unnamed").
        let caller = caller
            .as_pathname()
            .map_or("an unnamed socket".into(), name);
        println!("server: call from {caller} (AF_UNIX)");
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

    // socket(AF_UNIX, SOCK_STREAM) + connect(path): the client dials.
    let mut phone = UnixStream::connect(&addr)?;
    println!("client: send b'hello'");
    phone.write_all(b"hello")?;
    let mut buf = [0u8; 1024];
    let n = phone.read(&mut buf)?;
    println!("client: recv {}", py_bytes(&buf[..n]));
    // The name is needed only to dial: remove it, and the call goes on.
    fs::remove_file(&addr)?;
    println!("client: (removed {}; the call goes on)", name(&addr));
    phone.write_all(&[b'x'; 100_000])?;
    drop(phone);
    server.join().expect("the server thread")?;

    // What the address is: a name in the file system, and no more. Bytes sent and not read
    // yet wait in the kernel's buffers; the file stays empty.
    let listener = UnixListener::bind(&addr)?;
    phone = UnixStream::connect(&addr)?;
    phone.write_all(&[b'x'; 4096])?;
    let meta = fs::metadata(&addr)?;
    println!(
        "{}: a socket file: {}, size {} bytes, with 4096 bytes sent to it and not read yet",
        name(&addr),
        meta.file_type().is_socket(),
        meta.len()
    );
    drop((phone, listener));
    Ok(())
}

/// The file name only: the temporary folder's name changes from run to run.
#[cfg(unix)]
fn name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or("?".into(), |name| name.to_string_lossy().into_owned())
}

#[cfg(not(unix))]
fn main() {
    println!("AF_UNIX sockets need a Unix-like system here (Linux, macOS); run inet_pair");
}
