//! The measurements behind the lessons' tables. Run through `scripts/bench`, which builds the
//! chapters in release mode and passes their binaries' folder with `--bins`:
//!
//! ```console
//! scripts/bench framing      # ch11 against ch12: replies per second, with and without delay
//! scripts/bench ftp          # ch12b against ch14 and the article's server: uploads, big and many
//! scripts/bench flood        # ch13 and ch14 flooded: keyless callers, idle connections
//! scripts/bench load         # 1,000 clients at once against ch14 and ch15
//! scripts/bench speed        # ch15's verified put and get of 1 GiB against the reference pipeline
//! ```
//!
//! Every number printed is measured on the machine it runs on; the lessons quote such runs.

mod flood;
mod framing;
mod ftp;
mod load;
mod proxy;
mod run;
mod speed;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.what {
        What::Framing(options) => framing::main(&args.bins, &options),
        What::Ftp(options) => ftp::main(&args.bins, &options),
        What::Flood(options) => flood::main(&args.bins, &options),
        What::Load(options) => load::main(&args.bins, &options),
        What::Speed(options) => speed::main(&args.bins, &options),
        What::Reference(end) => speed::reference::run(&end),
    }
}

/// Benchmarks for the lessons (use scripts/bench, which builds the chapters first).
#[derive(Parser)]
struct Args {
    /// The folder with the chapters' release binaries, named CHAPTER-BIN (e.g. ch12-server)
    #[arg(long)]
    bins: PathBuf,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// 十一 against 十二: what the extra round trip of the naive length costs
    Framing(framing::Options),
    /// 十二's FTP (one client at a time) against 十四's (a thread each) and the article's
    Ftp(ftp::Options),
    /// 十三 and 十四 flooded: keyless callers in a loop, idle connections by the thousand
    Flood(flood::Options),
    /// 1,000 clients at once against ch14 and ch15: errors, times, peak memory
    Load(load::Options),
    /// ch15's verified transfers against the reference pipeline and the machine's limits
    Speed(speed::Options),
    /// The two ends of `speed`'s reference pipeline, each run as its own process
    #[command(flatten)]
    Reference(speed::reference::End),
}
