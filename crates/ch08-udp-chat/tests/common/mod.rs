//! What the three test files share: plain UDP sockets for tests that send datagrams by hand.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};

use testkit::PATIENCE;

/// A UDP socket on a free loopback port whose receives give up after [`PATIENCE`].
pub fn udp() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket
}

/// Sends `msg` from `socket` to `to` and returns the answer and who sent it.
pub fn ask(socket: &UdpSocket, to: SocketAddr, msg: &[u8]) -> (Vec<u8>, SocketAddr) {
    socket.send_to(msg, to).unwrap();
    let mut buf = vec![0u8; 65536];
    let (n, from) = socket
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("no answer from {to} to {} bytes: {e}", msg.len()));
    buf.truncate(n);
    (buf, from)
}

/// A loopback address where nothing listens right now (its port was free a moment ago).
pub fn free_addr() -> SocketAddr {
    udp().local_addr().unwrap()
}
