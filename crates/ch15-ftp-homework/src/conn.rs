//! A call's connection, with deadlines. A socket's own timeout counts from each `recv`: a
//! caller who sends one byte a second never trips it, and holds a thread and a descriptor for
//! ever. So every read and write here is checked against a deadline for the whole step:
//!
//! - logging in: `--login-timeout` from `accept`, however busy the caller keeps the line;
//! - waiting for the next request: `--idle-timeout` for its first byte;
//! - a request, once it started: `--request-timeout` for all of it, and as much again for
//!   each 64 KiB it moves, so a transfer may take as long as it needs at any reasonable
//!   speed (above 64 KiB per `--request-timeout`), and a trickle cannot.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The time a request gets, again, for each this many bytes it moves.
pub const STRETCH: u64 = 64 * 1024;

/// The deadlines, as the server's flags set them.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub idle: Duration,
    pub login: Duration,
    pub request: Duration,
}

/// A connection whose reads and writes fail once the current step's deadline has passed.
pub struct Conn {
    stream: Arc<TcpStream>,
    timeouts: Timeouts,
    step: Step,
    /// Until the caller has logged in, nothing may take longer than this.
    login_by: Option<Instant>,
    /// The timeouts set on the socket now: changed only when they must be.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// The longest a request may take, however much it moves.
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// Which deadline passed.
#[derive(Clone, Copy)]
enum Why {
    Silent,
    Login,
    Slow,
}

#[derive(Clone, Copy)]
enum Step {
    /// Waiting for the next request: its first byte must come by `until`.
    Waiting { until: Instant },
    /// In a request since `since`, which has moved `moved` bytes.
    Busy { since: Instant, moved: u64 },
}

impl Conn {
    /// The connection of a call accepted at `accepted`.
    pub fn new(stream: Arc<TcpStream>, timeouts: Timeouts, accepted: Instant) -> Conn {
        Conn {
            stream,
            timeouts,
            step: Step::Waiting {
                until: accepted + timeouts.idle,
            },
            login_by: Some(accepted + timeouts.login),
            read_timeout: None,
            write_timeout: None,
        }
    }

    pub fn stream(&self) -> &Arc<TcpStream> {
        &self.stream
    }

    /// From now, the caller is logged in: no more login deadline.
    pub fn logged_in(&mut self) {
        self.login_by = None;
    }

    /// The next request may start: its first byte must come within the idle timeout.
    pub fn wait_for_request(&mut self) {
        self.step = Step::Waiting {
            until: Instant::now() + self.timeouts.idle,
        };
    }

    /// A new step of the request starts now, with the time of a whole request: after work
    /// that was the server's, not the caller's (reading back a file to resume it, say).
    pub fn busy(&mut self) {
        self.step = Step::Busy {
            since: Instant::now(),
            moved: 0,
        };
    }

    // ANCHOR: deadline
    /// When the current step must be over, and which deadline that is.
    fn deadline(&self) -> (Instant, Why) {
        let (at, why) = match self.step {
            Step::Waiting { until } => (until, Why::Silent),
            Step::Busy { since, moved } => {
                // The time of a request, again for each 64 KiB moved (a year at most).
                let stretches = u32::try_from(1 + moved / STRETCH).unwrap_or(u32::MAX);
                let allowed = self.timeouts.request.saturating_mul(stretches);
                (since + allowed.min(YEAR), Why::Slow)
            }
        };
        match self.login_by {
            Some(by) if by < at => (by, Why::Login),
            _ => (at, why),
        }
    }
    // ANCHOR_END: deadline

    /// Sets the socket's timeout (for reading or writing) so that a blocked call returns by
    /// the deadline; fails if it has passed.
    fn arm(&mut self, writing: bool) -> io::Result<()> {
        let (deadline, why) = self.deadline();
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, self.say(why)));
        }
        let set = if writing {
            &mut self.write_timeout
        } else {
            &mut self.read_timeout
        };
        // Too long would overrun the deadline; much too short would wake us for nothing.
        if set.is_none_or(|timeout| timeout > left || timeout < left / 2) {
            if writing {
                self.stream.set_write_timeout(Some(left))?;
            } else {
                self.stream.set_read_timeout(Some(left))?;
            }
            *set = Some(left);
        }
        Ok(())
    }

    /// Why a call ended, for the log.
    fn say(&self, why: Why) -> String {
        let Timeouts {
            idle,
            login,
            request,
        } = self.timeouts;
        match why {
            Why::Silent => format!("silent for {} s", idle.as_secs_f64()),
            Why::Login => format!("not logged in within {} s", login.as_secs_f64()),
            Why::Slow => format!(
                "too slow: over {} s for a request, or for 64 KiB of a transfer",
                request.as_secs_f64()
            ),
        }
    }

    fn moved(&mut self, n: usize) {
        match &mut self.step {
            Step::Waiting { .. } if n > 0 => {
                self.step = Step::Busy {
                    since: Instant::now(),
                    moved: n as u64,
                }
            }
            Step::Waiting { .. } => {}
            Step::Busy { moved, .. } => *moved += n as u64,
        }
    }
}

/// A socket call that stopped because its timeout passed: then the deadline is checked again.
fn timed_out(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Conn {
    /// One socket call (a read if not `writing`), tried again each time its timeout passes
    /// until it moves bytes, fails, or the deadline passes.
    fn call(
        &mut self,
        writing: bool,
        mut call: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> io::Result<usize> {
        loop {
            self.arm(writing)?;
            match call(&self.stream) {
                Ok(n) => {
                    self.moved(n);
                    return Ok(n);
                }
                Err(error) if timed_out(&error) => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.call(false, |mut stream| stream.read(buf))
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.call(true, |mut stream| stream.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
