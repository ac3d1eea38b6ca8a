//! The switchboard: how many calls the server takes at once.
//!
//! Every call holds a thread and a file descriptor, and a process has only so many
//! descriptors (`ulimit -n`). Without a cap, a few hundred connections that never say a word
//! use them all, `accept` fails, and nobody can log in any more. So:
//!
//! - at most `--max-calls` calls at once. When they are all logged-in users, a new caller is
//!   told the server is full, and hung up on;
//! - at most `--max-waiting` of them not logged in yet. A new caller is always taken: if the
//!   waiting room is full, the caller who has waited longest is told the server is busy and
//!   hung up on. Silent callers push each other out, and a real user, who logs in within a
//!   fraction of a second, gets through.
//!
//! Both limits derive from the descriptor limit unless set (see `src/bin/server.rs`).

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Switchboard {
    pub max_calls: usize,
    pub max_waiting: usize,
    board: Mutex<Board>,
}

#[derive(Default)]
struct Board {
    next: u64,
    calls: HashMap<u64, Line>,
    /// The calls not logged in yet, the oldest first.
    waiting: VecDeque<u64>,
}

struct Line {
    conn: Arc<TcpStream>,
    shed: Arc<AtomicBool>,
}

/// A call the switchboard took: it counts until dropped.
pub struct Ticket {
    board: Arc<Switchboard>,
    pub id: u64,
    shed: Arc<AtomicBool>,
}

impl Switchboard {
    pub fn new(max_calls: usize, max_waiting: usize) -> Switchboard {
        Switchboard {
            max_calls: max_calls.max(1),
            max_waiting: max_waiting.clamp(1, max_calls.max(1)),
            board: Mutex::default(),
        }
    }

    // ANCHOR: admit
    /// Takes a new call, making room by shedding the oldest caller not logged in yet if
    /// needed; `None` if every line is taken by a logged-in user.
    pub fn admit(self: &Arc<Self>, conn: &Arc<TcpStream>) -> Option<Ticket> {
        let mut board = self.board();
        let crowded =
            board.waiting.len() >= self.max_waiting || board.calls.len() >= self.max_calls;
        if crowded
            && let Some(oldest) = board.waiting.pop_front()
            && let Some(line) = board.calls.remove(&oldest)
        {
            // Its session sees the end of its input, says why, and hangs up.
            line.shed.store(true, Ordering::SeqCst);
            let _ = line.conn.shutdown(Shutdown::Read);
        }
        if board.calls.len() >= self.max_calls {
            return None;
        }
        let id = board.next;
        board.next += 1;
        let shed = Arc::new(AtomicBool::new(false));
        let line = Line {
            conn: Arc::clone(conn),
            shed: Arc::clone(&shed),
        };
        board.calls.insert(id, line);
        board.waiting.push_back(id);
        Some(Ticket {
            board: Arc::clone(self),
            id,
            shed,
        })
    }
    // ANCHOR_END: admit

    /// How many calls there are now.
    pub fn calls(&self) -> usize {
        self.board().calls.len()
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ticket {
    /// The caller logged in: they no longer wait, and cannot be shed.
    pub fn logged_in(&self) {
        self.board.board().waiting.retain(|&id| id != self.id);
    }

    /// Whether this call was shed to make room for a newer one.
    pub fn was_shed(&self) -> bool {
        self.shed.load(Ordering::SeqCst)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut board = self.board.board();
        board.calls.remove(&self.id);
        board.waiting.retain(|&id| id != self.id);
    }
}
