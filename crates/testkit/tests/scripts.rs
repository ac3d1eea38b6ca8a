//! The scripts a class runs (scripts/demo, diff-steps, record, bench) name chapters the same
//! way, and a name that is no chapter is a clear error with a non-zero exit status.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::Program;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a finished command printed, and its exit status.
#[derive(Debug)]
struct Done {
    code: Option<i32>,
    stdout: Vec<String>,
    stderr: String,
}

/// Runs `command` in the repository's root to its end.
fn run(mut command: Command) -> Done {
    command.current_dir(root());
    let mut program = Program::spawn(command);
    let code = program.wait().code();
    Done {
        code,
        stdout: program.rest(),
        stderr: program.stderr(),
    }
}

/// Runs `scripts/NAME ARGS...`.
fn script(name: &str, args: &[&str]) -> Done {
    let mut command = Command::new(root().join("scripts").join(name));
    command.args(args);
    run(command)
}

/// What `chapter_crate NAME` (scripts/lib/chapters.sh) answers.
fn chapter_crate(name: &str) -> Done {
    let mut command = Command::new("bash");
    command
        .args([
            "-c",
            "root=$PWD; source scripts/lib/chapters.sh; chapter_crate \"$1\"",
        ])
        .args(["bash", name]);
    run(command)
}

#[test]
fn short_names_mean_one_chapter_each() {
    for (name, crate_name) in [
        ("ch06", "ch06-phone-echo"),
        ("ch12", "ch12-struct-header"),
        ("ch12b", "ch12b-ftp"),
        ("ch12b-ftp", "ch12b-ftp"),
        ("ch15", "ch15-ftp-homework"),
    ] {
        let done = chapter_crate(name);
        assert_eq!(
            (done.code, done.stdout),
            (Some(0), vec![crate_name.to_owned()]),
            "{name}"
        );
    }
    for name in [
        "ch99",
        "ch1",
        "ch",
        "support",
        "ftp",
        "../ch06",
        "ch06-phone-echo/../ch07-link-loop",
        "",
    ] {
        let done = chapter_crate(name);
        assert_eq!(done.code, Some(2), "{name:?} is no chapter: {done:?}");
        assert!(
            done.stderr.contains(&format!("no chapter called '{name}'")),
            "{done:?}"
        );
        assert!(
            done.stderr.contains("ch12 ch12b"),
            "the message lists the chapters: {done:?}"
        );
    }
}

#[test]
fn every_script_refuses_what_is_not_a_chapter() {
    for (name, args) in [
        ("demo", &["ch99"][..]),
        ("demo", &["--check", "ch1"]),
        ("diff-steps", &["ch12", "ch99"]),
        ("diff-steps", &["ch99", "ch12"]),
    ] {
        let done = script(name, args);
        assert_eq!(done.code, Some(2), "scripts/{name} {args:?}: {done:?}");
        assert!(done.stderr.contains("no chapter called"), "{done:?}");
        assert!(done.stdout.is_empty(), "{done:?}");
    }
    for (name, args) in [
        ("demo", &[][..]),
        ("demo", &["ch06", "ch07"]),
        ("diff-steps", &["ch06"]),
        ("record", &["--bogus"]),
        ("bench", &["nope"]),
    ] {
        let done = script(name, args);
        assert_eq!(done.code, Some(2), "scripts/{name} {args:?}: {done:?}");
        assert!(done.stderr.contains("usage: scripts/"), "{done:?}");
    }
}

#[test]
fn diff_steps_takes_the_short_names() {
    let done = script("diff-steps", &["ch12", "ch12b", "--stat"]);
    assert_eq!(done.code, Some(0), "{done:?}");
    let stat = done.stdout.join("\n");
    assert!(stat.contains("ch12b-ftp"), "{stat}");
}

#[test]
fn a_demo_shows_each_line_typed_then_its_reply() {
    let done = script("demo", &["ch07"]);
    assert_eq!(done.code, Some(0), "{done:?}");
    let text = done.stdout.join("\n");
    // As a terminal shows it: the prompt and the line typed, then what the client printed.
    let first_caller = ">>: hello\nsend b'hello'\nrecv b'HELLO'\n>>: \n>>: world\nsend b'world'\nrecv b'WORLD'\n>>: quit\n";
    assert!(text.contains(first_caller), "{text}");
}

#[test]
fn scripts_exercise_refuses_an_unknown_exercise() {
    for args in [
        &["start", "ch99-1"][..],
        &["check", "nope"],
        &["check", "ch11"],
    ] {
        let done = script("exercise", args);
        assert_eq!(done.code, Some(2), "scripts/exercise {args:?}: {done:?}");
        assert!(
            done.stderr
                .contains(&format!("no exercise called '{}'", args[1])),
            "{done:?}"
        );
        assert!(
            done.stderr.contains("ch11-1"),
            "the message lists the exercises: {done:?}"
        );
        assert!(done.stdout.is_empty(), "{done:?}");
    }
    for args in [
        &[][..],
        &["check"],
        &["start", "ch11-1", "ch12-1"],
        &["bogus"],
    ] {
        let done = script("exercise", args);
        assert_eq!(done.code, Some(2), "scripts/exercise {args:?}: {done:?}");
        assert!(done.stderr.contains("scripts/exercise"), "{done:?}");
    }
}

#[test]
fn scripts_exercise_lists_every_chapter_from_ch06_to_ch15() {
    let done = script("exercise", &["list"]);
    assert_eq!(done.code, Some(0), "{done:?}");
    for chapter in [
        "ch06", "ch07", "ch08", "ch09", "ch10", "ch11", "ch12", "ch12b", "ch13", "ch14",
    ] {
        let id = format!("{chapter}-1 ");
        assert!(
            done.stdout.iter().any(|line| line.starts_with(&id)),
            "{chapter}: {done:?}"
        );
    }
    for n in 1..=9 {
        let id = format!("ch15-{n} ");
        assert!(
            done.stdout
                .iter()
                .any(|line| line.starts_with(&id) && line.contains("ch15-ftp-homework")),
            "{id}: {done:?}"
        );
    }
}
