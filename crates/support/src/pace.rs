//! Flags that take an amount: seconds for timeouts, bytes a second for `--limit-rate`, and
//! the [`Throttle`] that keeps a transfer to such a rate (so a class can watch it happen).

use std::thread;
use std::time::{Duration, Instant};

/// Parses a timeout flag, in seconds, fractions allowed: `300`, `2.5`, `0.2`. Every timeout
/// flag in every chapter takes this form.
pub fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds (e.g. 30 or 2.5)"))?;
    if !(secs > 0.0 && secs <= 365.0 * 24.0 * 3600.0) {
        return Err(format!(
            "'{text}': give more than 0 seconds and at most a year"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a size as people write it, as curl and `du` do: `500K`, `5M`, `1.5G` (K = 1024 bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    parse_size::Config::new()
        .with_binary()
        .parse_size(text)
        .map_err(|error| format!("'{text}': {error} (try 500K, 5M or 2G)"))
}

/// Parses `--limit-rate`: bytes a second, with the same suffixes as [`parse_size`] (`5M` is
/// 5 MiB/s, as in curl's `--limit-rate 5M`).
pub fn parse_rate(text: &str) -> Result<u64, String> {
    match parse_size(text)? {
        0 => Err(format!(
            "'{text}': a rate must be more than 0 bytes a second"
        )),
        rate => Ok(rate),
    }
}

/// Keeps a transfer at or below a rate: call [`Throttle::pace`] after each piece, and it
/// sleeps just long enough that the bytes so far have taken at least `bytes / rate` seconds.
/// Without a rate it does nothing.
#[derive(Debug)]
pub struct Throttle {
    rate: Option<u64>,
    start: Instant,
    bytes: u64,
}

impl Throttle {
    /// A throttle for `rate` bytes a second (`None`: as fast as the network goes).
    pub fn new(rate: Option<u64>) -> Throttle {
        Throttle {
            rate,
            start: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` more bytes, and waits if they came too soon.
    pub fn pace(&mut self, n: u64) {
        let Some(rate) = self.rate else { return };
        self.bytes += n;
        let due = Duration::from_secs_f64(self.bytes as f64 / rate as f64);
        if let Some(early) = due.checked_sub(self.start.elapsed()) {
            thread::sleep(early);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_fractions_and_refuse_nonsense() {
        assert_eq!(parse_secs("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_secs("2.5"), Ok(Duration::from_millis(2500)));
        for bad in ["0", "-1", "abc", "", "NaN", "inf", "1e30"] {
            assert!(parse_secs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_rates_read_like_curl() {
        assert_eq!(parse_size("500K"), Ok(500 * 1024));
        assert_eq!(parse_rate("5M"), Ok(5 << 20));
        assert_eq!(parse_rate("1.5G"), Ok(3 << 29));
        assert_eq!(parse_rate("100"), Ok(100));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").unwrap_err().contains("try 500K"));
    }

    #[test]
    fn a_throttle_keeps_to_its_rate() {
        // 100 KiB at 1 MiB/s must take at least ~0.1 s; without a rate, no time at all.
        let start = Instant::now();
        let mut throttle = Throttle::new(Some(1 << 20));
        for _ in 0..10 {
            throttle.pace(10 * 1024);
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(95), "{took:?}");

        let start = Instant::now();
        let mut free = Throttle::new(None);
        free.pace(1 << 30);
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
