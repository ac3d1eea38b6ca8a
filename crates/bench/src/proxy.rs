//! A delay line for TCP: a proxy that holds every chunk of bytes for a fixed time before
//! passing it on, in each direction. It turns the loopback (a round trip of microseconds)
//! into something like a real network (milliseconds), without limiting bandwidth.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Starts the proxy on a free loopback port; every connection to it is forwarded to `target`
/// with `delay` added each way. It runs until the program ends.
pub fn start(target: SocketAddr, delay: Duration) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            for stream in [&client, &server] {
                let _ = stream.set_nodelay(true);
            }
            let (client2, server2) = match (client.try_clone(), server.try_clone()) {
                (Ok(c), Ok(s)) => (c, s),
                _ => continue,
            };
            delay_one_way(client, server2, delay);
            delay_one_way(server, client2, delay);
        }
    });
    Ok(addr)
}

/// Reads from `from`, and writes each chunk to `to` once `delay` has passed since it arrived.
fn delay_one_way(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (sender, receiver) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut chunk = vec![0u8; 256 * 1024];
        while let Ok(n @ 1..) = from.read(&mut chunk) {
            if sender
                .send((Instant::now() + delay, chunk[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
        // Dropping the sender tells the writer the stream ended.
    });
    thread::spawn(move || {
        for (due, bytes) in receiver {
            thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&bytes).is_err() {
                return;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
