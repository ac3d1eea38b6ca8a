//! 十一 against 十二. The article says the naive length is "low" because it adds a round trip
//! per reply (length, then recv_ready, then data). Measure it: the same commands against
//! ch11 and ch12, straight over the loopback and through a delay line that makes each way
//! take a few milliseconds, as on a real network; and large replies, to see that both stream
//! at full speed once the receiver knows the length.

use std::path::Path;
use std::time::Duration;

use crate::{proxy, run};

#[derive(clap::Args)]
pub struct Options {
    /// Small commands per run (`echo hi`)
    #[arg(long, default_value_t = 200)]
    commands: usize,
    /// One-way delay added by the proxy, in milliseconds
    #[arg(long, default_value_t = 5)]
    delay_ms: u64,
    /// Large replies per run
    #[arg(long, default_value_t = 5)]
    large: usize,
    /// Size of each large reply, in megabytes (10^6 bytes)
    #[arg(long, default_value_t = 10)]
    large_mb: usize,
}

const CHAPTERS: [(&str, &str); 2] = [
    ("ch11", "ch11 length + recv_ready"),
    ("ch12", "ch12 4-byte header"),
];

pub fn main(bins: &Path, options: &Options) -> anyhow::Result<()> {
    let small = "echo hi\n".repeat(options.commands);
    let bytes = options.large_mb * 1_000_000;
    let large = format!("head -c {bytes} /dev/zero\n").repeat(options.large);
    let delay = Duration::from_millis(options.delay_ms);

    println!(
        "{} x `echo hi` and {} x {} MB replies, each chapter's real server and client",
        options.commands, options.large, options.large_mb
    );
    println!();
    println!("| | {} | {} | ch12 / ch11 |", CHAPTERS[0].1, CHAPTERS[1].1);
    println!("|---|---|---|---|");

    let mut rows: Vec<(String, [f64; 2], &str)> = Vec::new();
    let mut per_chapter = [[0.0; 3]; 2];
    for (i, (chapter, _)) in CHAPTERS.iter().enumerate() {
        let server = run::Server::start(&run::bin(bins, chapter, "server"), &[])?;
        let client = run::bin(bins, chapter, "client");
        let direct = server.addr.to_string();
        let delayed = proxy::start(server.addr, delay)?.to_string();

        let took = run::time_client(&client, &["--addr", &direct], &small)?;
        per_chapter[i][0] = options.commands as f64 / took.as_secs_f64();
        let took = run::time_client(&client, &["--addr", &delayed], &small)?;
        per_chapter[i][1] = options.commands as f64 / took.as_secs_f64();
        let took = run::time_client(&client, &["--addr", &direct], &large)?;
        per_chapter[i][2] = (bytes * options.large) as f64 / 1e6 / took.as_secs_f64();
    }
    rows.push((
        "loopback, `echo hi`".into(),
        [per_chapter[0][0], per_chapter[1][0]],
        "replies/s",
    ));
    rows.push((
        format!("+{} ms each way, `echo hi`", options.delay_ms),
        [per_chapter[0][1], per_chapter[1][1]],
        "replies/s",
    ));
    rows.push((
        format!("loopback, {} MB replies", options.large_mb),
        [per_chapter[0][2], per_chapter[1][2]],
        "MB/s",
    ));
    for (name, [ch11, ch12], unit) in rows {
        println!(
            "| {name} | {ch11:.0} {unit} | {ch12:.0} {unit} | {:.2} |",
            ch12 / ch11
        );
    }
    Ok(())
}
