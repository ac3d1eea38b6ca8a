//! 十五 作业 — the homework's client: an `ftp>` prompt, or the same commands from a script.
//!
//! ```console
//! $ cargo run -p ch15-ftp-homework --bin client -- --user alice
//! password:
//! logged in as alice, in /
//! ftp> put report.pdf
//! ftp> ls
//! ```
//!
//! Commands come from the arguments (`client --user alice put a.txt`), else from stdin, one
//! per line. A refused command prints `error: ...` and the next one runs; the exit status
//! says whether any failed. Scripts give the password in SOCKET_LESSONS_PASSWORD.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ch15_ftp_homework::prompt::read_password;
use ch15_ftp_homework::proto::Kind;
use ch15_ftp_homework::remote::{Progress, Refused, Remote, Transfer, WrongPassword, is_refusal};
use clap::{Parser, ValueEnum};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

const HELP: &str = "\
commands:
  pwd                     where you are (/ is your home)
  cd DIR                  go to DIR (.. goes up)
  ls [PATH]               list a folder: kind, size, name
  mkdir DIR               make a folder
  rm PATH                 remove a file or an empty folder
  put FILE [REMOTE]       upload FILE (as REMOTE); an interrupted upload resumes
  get REMOTE [FILE]       download REMOTE (to FILE); an interrupted download resumes
  quota [--bytes]         what you use, and may use (--bytes: exact, for scripts)
  help                    this list
  quit                    log out";

/// Tries at the password on a terminal, as ftp and ssh give.
const PASSWORD_TRIES: u32 = 3;

fn main() -> support::Result {
    let args = Args::parse();
    let user = match &args.user {
        Some(user) => user.clone(),
        None => ask("user: ")?,
    };
    let (mut password, typed) = password()?;

    // socket() + connect(), then the login handshake: the password never leaves this machine.
    let mut remote = Remote::connect(args.addr)?;
    let mut tries = 1;
    let cwd = loop {
        match remote.login(&user, &password) {
            Ok(cwd) => break cwd,
            // A typo on a terminal: ask again, as ftp and ssh do.
            Err(error) if typed && is_wrong_password(&error) && tries < PASSWORD_TRIES => {
                eprintln!("{error}, try again");
                password = read_password("password: ")?;
                tries += 1;
            }
            Err(error) => return Err(error.context("login failed").into()),
        }
    };
    // From here on only the key derived from it is kept, to log in again if the server hangs
    // up on a session that stayed silent too long.
    drop(password);
    println!("logged in as {user}, in {cwd}");
    remote.on_login_again(|user, cwd| {
        println!("the server hung up; logged in again as {user}, in {cwd}");
    });
    remote.limit_rate(args.limit_rate);

    let commands: Box<dyn Iterator<Item = String>> = if args.command.is_empty() {
        Box::new(support::input("ftp> "))
    } else {
        Box::new(std::iter::once(shlex::try_join(
            args.command.iter().map(String::as_str),
        )?))
    };
    let mut failed = 0;
    for line in commands {
        let Some(words) = shlex::split(&line) else {
            println!("error: unbalanced quotes in {line:?}");
            failed += 1;
            continue;
        };
        match run(&mut remote, &words, args.progress) {
            Ok(true) => {}
            Ok(false) => break,
            // Refused (by the server, or here): say so, and go on with the next command.
            Err(error) if is_refusal(&error) => {
                println!("error: {error:#}");
                failed += 1;
            }
            Err(error) => return Err(error.context("connection lost").into()),
        }
    }
    support::ensure!(failed == 0, "{failed} command(s) failed");
    Ok(())
}

fn is_wrong_password(error: &anyhow::Error) -> bool {
    error.downcast_ref::<WrongPassword>().is_some()
}

/// Runs one command; `Ok(false)` means quit.
fn run(remote: &mut Remote, words: &[String], progress: When) -> anyhow::Result<bool> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words[..] {
        [] => {}
        ["help"] => println!("{HELP}"),
        ["quit" | "exit" | "bye"] => {
            remote.quit()?;
            return Ok(false);
        }
        ["pwd"] => println!("{}", remote.pwd()?),
        ["cd", dir] => println!("{}", remote.cd(dir)?),
        ["ls"] | ["ls", _] => {
            let entries = remote.ls(words.get(1).copied())?;
            if entries.is_empty() {
                let folder = words.get(1).copied().unwrap_or(remote.cwd()).to_owned();
                println!("{folder} is empty");
            }
            for entry in entries {
                let (kind, slash) = match entry.kind {
                    Kind::Dir => ("dir ", "/"),
                    Kind::File => ("file", ""),
                };
                println!("{kind} {:>12}  {}{slash}", entry.size, entry.name);
            }
        }
        ["mkdir", dir] => {
            remote.mkdir(dir)?;
            println!("created {dir}");
        }
        ["rm", path] => {
            remote.rm(path)?;
            println!("removed {path}");
        }
        ["quota"] => {
            let (used, quota) = remote.quota()?;
            println!("using {} of {}", HumanBytes(used), HumanBytes(quota));
        }
        // The exact numbers, for a script to read.
        ["quota", "--bytes"] => {
            let (used, quota) = remote.quota()?;
            println!("using {used} of {quota} bytes");
        }
        ["put", local] | ["put", local, _] => {
            let remote_name = match words.get(2) {
                Some(name) => (*name).to_owned(),
                None => file_name(Path::new(local))?,
            };
            let done = remote.put(Path::new(local), &remote_name, &mut bar(progress, local))?;
            println!("put {local} -> {remote_name}: {}", summary(&done));
        }
        ["get", remote_name] | ["get", remote_name, _] => {
            let local = match words.get(2) {
                Some(name) => PathBuf::from(name),
                None => PathBuf::from(file_name(Path::new(remote_name))?),
            };
            let label = local.display().to_string();
            let done = remote.get(remote_name, &local, &mut bar(progress, &label))?;
            println!(
                "get {remote_name} -> {}: {}",
                local.display(),
                summary(&done)
            );
        }
        _ => Err(Refused(format!(
            "cannot do {:?}; type help for the commands",
            words.join(" ")
        )))?,
    }
    Ok(true)
}

fn summary(done: &Transfer) -> String {
    let resumed = match done.resumed_at {
        0 => String::new(),
        at => format!(", resumed at {at}"),
    };
    format!("{} bytes, md5 {} verified{resumed}", done.size, done.md5)
}

fn file_name(path: &Path) -> anyhow::Result<String> {
    let name = path.file_name().and_then(|name| name.to_str());
    Ok(name
        .ok_or_else(|| Refused(format!("{} has no file name", path.display())))?
        .to_owned())
}

/// A progress bar with rate and time left, on stderr: drawn on a terminal (or always, or
/// never, as --progress says).
fn bar(when: When, name: &str) -> impl FnMut(Progress) {
    let target = match when {
        When::Auto => ProgressDrawTarget::stderr(),
        When::Always => ProgressDrawTarget::term_like(Box::new(PlainStderr)),
        When::Never => ProgressDrawTarget::hidden(),
    };
    let bar = ProgressBar::with_draw_target(None, target).with_message(name.to_owned());
    move |progress| match progress {
        Progress::Start { size, at } => {
            bar.set_style(style(at));
            bar.set_length(size);
            bar.set_position(at);
            // Rate and time left count from here, not from the bytes an earlier run moved.
            bar.tick();
            bar.reset_elapsed();
        }
        Progress::Moved(n) => {
            bar.inc(n);
            if bar.position() == bar.length().unwrap_or(0) {
                bar.finish();
            }
        }
    }
}

/// The bar's look. Its rate is that of the bytes this run moves: a resumed transfer starts at
/// `at` (indicatif's own `{bytes_per_sec}` would count the resumed bytes too, once finished).
fn style(at: u64) -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {rate} eta {eta}")
        .expect("a valid template")
        .with_key(
            "rate",
            move |state: &ProgressState, out: &mut dyn fmt::Write| {
                let rate = if state.is_finished() {
                    let secs = state.elapsed().as_secs_f64().max(0.001);
                    state.pos().saturating_sub(at) as f64 / secs
                } else {
                    state.per_sec()
                };
                let _ = write!(out, "{}/s", HumanBytes(rate as u64));
            },
        )
        .progress_chars("=> ")
}

/// Draws progress bars as plain lines on stderr, for `--progress always` when stderr is not a
/// terminal (a log file, a test).
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, line: &str) -> std::io::Result<()> {
        self.write_str(line)
    }
    fn write_str(&self, text: &str) -> std::io::Result<()> {
        match text.trim_end() {
            "" => Ok(()),
            line => writeln!(std::io::stderr(), "{line}"),
        }
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The password: from SOCKET_LESSONS_PASSWORD (for scripts), else typed without echo.
/// Says whether it was typed (then a typo may be typed again).
fn password() -> anyhow::Result<(String, bool)> {
    if let Ok(password) = std::env::var("SOCKET_LESSONS_PASSWORD") {
        return Ok((password, false));
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no password: set SOCKET_LESSONS_PASSWORD, or run in a terminal to type it"
    );
    Ok((read_password("password: ")?, true))
}

fn ask(prompt: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no user: pass --user or set SOCKET_LESSONS_USER"
    );
    support::input(prompt).next().context("no user name given")
}

#[derive(Clone, Copy, ValueEnum)]
enum When {
    Auto,
    Always,
    Never,
}

/// The client of 十五 作业: log in, then pwd, cd, ls, mkdir, rm, put, get, quota.
#[derive(Parser)]
struct Args {
    /// Address of the server
    #[arg(long, default_value = "127.0.0.1:8015", value_parser = support::parse_addr)]
    addr: SocketAddr,
    /// Your user name
    #[arg(long, env = "SOCKET_LESSONS_USER")]
    user: Option<String>,
    /// Keep put and get to RATE bytes a second, as curl's --limit-rate: 500K, 5M
    #[arg(long, value_name = "RATE", value_parser = support::parse_rate)]
    limit_rate: Option<u64>,
    /// Progress bars on stderr: on a terminal (auto), always, or never
    #[arg(long, value_enum, default_value = "auto")]
    progress: When,
    /// One command to run instead of reading them from stdin, e.g. `put a.txt`
    #[arg(trailing_var_arg = true)]
    command: Vec<String>,
}
