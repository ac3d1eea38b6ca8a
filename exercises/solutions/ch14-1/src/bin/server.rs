//! Exercise ch14-1, a solution — ch14's FtpServer: 十二's FTP, a thread per client, at most
//! `--max-clients` at once (src/socketserver.rs keeps to it).

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::Context;
use ch12b_ftp::talk;
use clap::Parser;
use socketserver::{BaseRequestHandler, ThreadingTCPServer};

fn main() -> support::Result {
    let args = Args::parse();
    // server_dir: where the files go, created if missing.
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the folder {}", args.dir.display()))?;

    // ThreadingTCPServer((host, port), FtpServer): socket(), then server_bind() (SO_REUSEADDR,
    // bind) and server_activate() (listen).
    let handler = FtpServer {
        server_dir: args.dir.clone(),
        limit_rate: args.limit_rate,
    };
    let ftpserver = ThreadingTCPServer::new(args.addr, handler, args.max_clients.get())?;
    println!("listening on {}", ftpserver.server_address);
    println!("files go to {}", args.dir.display());
    println!("at most {} clients at once", ftpserver.max_clients);

    // serve_forever(): the link loop, accept() after accept(); each client gets a thread.
    ftpserver.serve_forever()
}

/// The article's `FtpServer(socketserver.BaseRequestHandler)`; `server_dir` was its class
/// attribute, and `limit_rate` is ours (`--limit-rate`).
struct FtpServer {
    server_dir: PathBuf,
    limit_rate: Option<u64>,
}

impl BaseRequestHandler for FtpServer {
    /// handle(): runs in this client's own thread, while the server goes on accepting.
    fn handle(
        &self,
        request: TcpStream,
        client_address: SocketAddr,
        _server: &ThreadingTCPServer<Self>,
    ) -> io::Result<()> {
        println!("call from {client_address}");
        // The comm loop: requests until the client hangs up. An error goes to handle_error.
        talk(request, client_address, &self.server_dir, self.limit_rate)?;
        println!("call from {client_address} ended");
        Ok(())
    }
}

/// Exercise ch14-1: ch14's FTP server, a thread per client, at most --max-clients at once.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8014", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// The folder that files are put in and got from (server_dir)
    #[arg(long, default_value = "file_upload")]
    dir: PathBuf,
    /// Move each file at most this fast, in bytes a second, as curl's option (e.g. 5M or 500K)
    #[arg(long, value_name = "RATE", value_parser = support::parse_rate)]
    limit_rate: Option<u64>,
    /// Serve at most this many clients at once; the next one waits until one leaves
    #[arg(long, value_name = "N", default_value = "100")]
    max_clients: NonZeroUsize,
}
