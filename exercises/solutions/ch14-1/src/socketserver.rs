//! Exercise ch14-1, a solution — ch14's small `socketserver`, after Python's, which serves at
//! most `max_clients` connections at once (`--max-clients`).
//!
//! A TCP server is two loops: the link loop (accept one connection after another) and the comm
//! loop (talk with one client). Python's `socketserver` gives each its own class: a *server*
//! class runs the link loop, a *request handler* class the comm loop. The article follows
//! `ThreadingTCPServer(addr, FtpServer).serve_forever()` through the classes; here is each
//! step, under its Python name:
//!
//! | Python | here |
//! |---|---|
//! | `TCPServer.__init__`: `server_bind`, `server_activate` | [`ThreadingTCPServer::new`]: socket, `SO_REUSEADDR` (which Python sets only if `allow_reuse_address`), bind, listen |
//! | `BaseServer.serve_forever`, `_handle_request_noblock` | `serve_forever`, `handle_request_noblock` |
//! | `TCPServer.get_request` | `get_request`: accept |
//! | `ThreadingMixIn.process_request`, `process_request_thread` | `process_request`: a thread per connection |
//! | `BaseServer.finish_request`, `handle_error` | `finish_request`, `handle_error` |
//! | `BaseRequestHandler.handle`, with `self.request`, `self.client_address`, `self.server` | [`BaseRequestHandler::handle`]`(&self, request, client_address, server)` |
//!
//! Rust has no inheritance, so `ThreadingTCPServer`'s methods, which Python finds in
//! `ThreadingMixIn`, `TCPServer` and `BaseServer` in that order, are all in one `impl`.
//!
//! It starts a thread for every connection, as Python's does, but at most `max_clients` at
//! once: while that many are being served, the link loop does not accept, and the next caller
//! waits in the listen queue until one of them leaves.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use socket2::{Domain, Socket, Type};

/// `BaseRequestHandler`: what to do with one connection, the comm loop.
///
/// Python makes a new handler object for each connection and calls its `handle()`. Here one
/// value serves every connection: its fields are what the article's `FtpServer` keeps in class
/// attributes (`server_dir`), and what belongs to one connection is passed to `handle`.
pub trait BaseRequestHandler: Sized + Send + Sync + 'static {
    /// `handle(self)`: talk with one client, in a thread of its own. `request` is
    /// `self.request` (the connection), `client_address` is `self.client_address`, and
    /// `server` is `self.server`. The connection is closed when `handle` returns, and an
    /// error it returns is printed by the server's `handle_error`.
    fn handle(
        &self,
        request: TcpStream,
        client_address: SocketAddr,
        server: &ThreadingTCPServer<Self>,
    ) -> io::Result<()>;
}

/// `ThreadingTCPServer`: `ThreadingMixIn` + `TCPServer` (+ `BaseServer`). A thread per
/// connection, so that no client waits for another.
pub struct ThreadingTCPServer<H> {
    /// `self.server_address`: the address bound (with port 0, the port the system picked).
    pub server_address: SocketAddr,
    /// `self.socket`: the listening socket.
    pub socket: TcpListener,
    /// `RequestHandlerClass`: the handler, shared by every connection's thread.
    pub handler: H,
    /// How many connections may be served at once (`--max-clients`).
    pub max_clients: usize,
    /// How many are being served now, and a signal for each one that ends.
    active: Mutex<usize>,
    one_left: Condvar,
}

impl<H: BaseRequestHandler> ThreadingTCPServer<H> {
    /// `request_queue_size`, listen()'s backlog: how many connections the kernel may hold,
    /// handshake done, until accept() takes them. Python's 5 is for a server that accepts one
    /// client at a time; when a burst of clients overflows the queue, Linux drops their
    /// handshakes and they try again after 1 s, then 3 s, 7 s... Accepting is quick here (a
    /// thread is started, no more), so 1024 absorbs a burst of hundreds. Linux caps the number
    /// at `net.core.somaxconn` (4096 since Linux 5.4, 128 before).
    pub const REQUEST_QUEUE_SIZE: i32 = 1024;

    /// `TCPServer.__init__`: socket(), then `server_bind()` (SO_REUSEADDR, bind) and
    /// `server_activate()` (listen).
    pub fn new(server_address: SocketAddr, handler: H, max_clients: usize) -> anyhow::Result<Self> {
        let socket = Socket::new(Domain::for_address(server_address), Type::STREAM, None)?;
        // server_bind(): SO_REUSEADDR if allow_reuse_address, then bind(). Python's TCPServer
        // leaves allow_reuse_address False; ours sets it, as every server since ch07 does.
        socket.set_reuse_address(true)?;
        socket
            .bind(&server_address.into())
            .with_context(|| format!("could not bind {server_address}"))?;
        // server_activate(): listen(request_queue_size).
        socket.listen(Self::REQUEST_QUEUE_SIZE)?;
        let socket = TcpListener::from(socket);
        Ok(ThreadingTCPServer {
            server_address: socket.local_addr()?,
            socket,
            handler,
            max_clients,
            active: Mutex::new(0),
            one_left: Condvar::new(),
        })
    }

    /// `BaseServer.serve_forever`: the link loop. It never returns.
    pub fn serve_forever(self) -> ! {
        let server = Arc::new(self);
        loop {
            // A place first: with max_clients being served, the next caller waits in the listen
            // queue until one of them leaves.
            server.take_a_place();
            server.handle_request_noblock();
        }
    }

    /// Waits until fewer than `max_clients` connections are being served, and counts one more.
    fn take_a_place(&self) {
        let mut active = self
            .active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while *active >= self.max_clients {
            active = self
                .one_left
                .wait(active)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *active += 1;
    }

    /// Gives back the place of a connection that ended (or never started).
    fn give_back_a_place(&self) {
        *self
            .active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) -= 1;
        self.one_left.notify_one();
    }

    /// `BaseServer._handle_request_noblock`: `get_request()`, then `process_request()`.
    fn handle_request_noblock(self: &Arc<Self>) {
        match self.get_request() {
            Ok((request, client_address)) => self.process_request(request, client_address),
            Err(error) => {
                self.give_back_a_place();
                // Out of file descriptors, say. Not one client's fault: wait a moment (instead
                // of failing again at once, for ever) and go on.
                println!("accept failed: {error}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// `TCPServer.get_request`: accept().
    fn get_request(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.socket.accept()
    }

    /// `ThreadingMixIn.process_request`: start a thread that runs `process_request_thread`,
    /// and go straight back to accept(). This one method is all that makes the server
    /// concurrent; `BaseServer`'s own would call `finish_request` here and now.
    fn process_request(self: &Arc<Self>, request: TcpStream, client_address: SocketAddr) {
        let server = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(format!("request from {client_address}"))
            .spawn(move || server.process_request_thread(request, client_address));
        if let Err(error) = spawned {
            // No thread to be had: this client is turned away (its connection is closed).
            self.give_back_a_place();
            self.handle_error(client_address, &error);
        }
    }

    /// `ThreadingMixIn.process_request_thread`: `finish_request()`, and `handle_error()` if it
    /// failed. Python's `shutdown_request()` is the connection being dropped when `handle`
    /// returns. A panic in `handle` ends this thread only, and Rust prints it to stderr
    /// under the thread's name, `request from ADDRESS`; the server goes on.
    fn process_request_thread(&self, request: TcpStream, client_address: SocketAddr) {
        // The place is given back when this thread ends, even by a panic in `handle`.
        let _place = Place(self);
        if let Err(error) = self.finish_request(request, client_address) {
            self.handle_error(client_address, &error);
        }
    }

    /// `BaseServer.finish_request`: `RequestHandlerClass(request, client_address, self)`,
    /// whose `__init__` calls `handle()`.
    fn finish_request(&self, request: TcpStream, client_address: SocketAddr) -> io::Result<()> {
        self.handler.handle(request, client_address, self)
    }

    /// `BaseServer.handle_error`: say what went wrong with one client, and carry on. (Python
    /// prints a traceback; ours, the line every chapter prints when a call ends in an error.)
    fn handle_error(&self, client_address: SocketAddr, error: &io::Error) {
        println!("call from {client_address} ended: {error}");
    }
}

/// A connection's place among the `max_clients`, given back when dropped.
struct Place<'a, H: BaseRequestHandler>(&'a ThreadingTCPServer<H>);

impl<H: BaseRequestHandler> Drop for Place<'_, H> {
    fn drop(&mut self) {
        self.0.give_back_a_place();
    }
}
