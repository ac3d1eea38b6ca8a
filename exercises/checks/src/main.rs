//! `exercise`: the checks behind `scripts/exercise` (which lists and starts exercises itself).
//!
//! ```text
//! exercise check ID            builds the student's copy (exercises/work/...) and checks it
//! exercise check ID --bins DIR checks the programs in DIR
//! exercise verify [ID...]      every starter fails its check, every solution passes it
//! ```

mod build;
mod harness;

mod ch06;
mod ch07;
mod ch08;
mod ch09;
mod ch10;
mod ch11;
mod ch12;
mod ch12b;
mod ch13;
mod ch14;
mod ch15;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use harness::{Ctx, Report, Step};

/// The exercises' table, `exercises/exercises.tsv`: the one list `scripts/exercise` reads too.
const TABLE: &str = include_str!("../../exercises.tsv");

/// One line of the table.
struct Exercise {
    id: &'static str,
    krate: &'static str,
    title: &'static str,
    /// The folder in starters/ (and work/, and solutions/) that this exercise's code is in.
    starter: &'static str,
}

fn exercises() -> Vec<Exercise> {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let mut next = || {
                fields
                    .next()
                    .expect("exercises.tsv: a line with too few fields")
            };
            Exercise {
                id: next(),
                krate: next(),
                title: next(),
                starter: next(),
            }
        })
        .collect()
}

/// The check of exercise `id`.
fn steps(id: &str) -> Vec<Step> {
    match id {
        "ch06-1" => ch06::steps(),
        "ch07-1" => ch07::steps(),
        "ch08-1" => ch08::steps(),
        "ch09-1" => ch09::steps(),
        "ch10-1" => ch10::steps(),
        "ch11-1" => ch11::steps(),
        "ch12-1" => ch12::steps(),
        "ch12b-1" => ch12b::steps(),
        "ch13-1" => ch13::steps(),
        "ch14-1" => ch14::steps(),
        _ if id.starts_with("ch15-") => ch15::steps(id["ch15-".len()..].parse().unwrap_or(0)),
        _ => panic!("exercises.tsv lists {id}, but no check is written for it"),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() -> ExitCode {
    harness::quiet_panics();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["check", id] => check(id, None),
        // Absolute, since the checks run some programs in other folders.
        ["check", id, "--bins", dir] => match std::fs::canonicalize(dir) {
            Ok(dir) => check(id, Some(dir)),
            Err(error) => {
                eprintln!("exercise: {dir}: {error}");
                ExitCode::from(2)
            }
        },
        ["verify", ids @ ..] => verify(ids),
        _ => {
            eprintln!("usage: exercise check ID [--bins DIR] | exercise verify [ID...]");
            ExitCode::from(2)
        }
    }
}

fn find(id: &str) -> Option<Exercise> {
    exercises().into_iter().find(|exercise| exercise.id == id)
}

/// `check ID`: the student's copy, built, then checked.
fn check(id: &str, bins: Option<PathBuf>) -> ExitCode {
    let Some(exercise) = find(id) else {
        eprintln!("exercise: no exercise {id:?} (scripts/exercise list shows them)");
        return ExitCode::from(2);
    };
    let bins = match bins {
        Some(bins) => bins,
        None => {
            let work = repo().join("exercises/work").join(exercise.starter);
            if !work.join("Cargo.toml").exists() {
                println!("You have not started {id} yet: run `scripts/exercise start {id}` first.");
                return ExitCode::from(1);
            }
            println!(
                "Building your copy, exercises/work/{} ...",
                exercise.starter
            );
            match build::bins(&build::Package::Work(exercise.starter)) {
                Ok(bins) => bins,
                Err(why) => {
                    println!("{why}");
                    println!(
                        "\n{id}: not yet. Your code must build first (cargo's messages are above)."
                    );
                    return ExitCode::from(1);
                }
            }
        }
    };
    println!("Checking {id} ({}): {}", exercise.krate, exercise.title);
    let ctx = Ctx { bins, repo: repo() };
    let report = harness::run_steps(&steps(id), &ctx);
    report.print();
    if report.passed() {
        println!("\n{id}: done. Every check passes.");
        ExitCode::SUCCESS
    } else {
        println!(
            "\n{id}: not yet. Fix what is marked NOT YET, then run `scripts/exercise check {id}` again."
        );
        ExitCode::from(1)
    }
}

/// `verify`: for every exercise, the starter fails its check and the solution passes it.
fn verify(ids: &[&str]) -> ExitCode {
    let started = Instant::now();
    let chosen: Vec<Exercise> = exercises()
        .into_iter()
        .filter(|exercise| ids.is_empty() || ids.contains(&exercise.id))
        .collect();
    if chosen.is_empty() {
        eprintln!("exercise verify: no exercise called {ids:?}");
        return ExitCode::from(2);
    }

    // Every starter and solution, built in one go (cargo builds them side by side), then
    // each one's programs copied out of the way of the next (they share names).
    let mut packages = Vec::new();
    for exercise in &chosen {
        for package in [
            build::Package::Starter(exercise.starter),
            build::Package::Solution(exercise.starter),
        ] {
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
    }
    if let Err(why) = build::all(&packages) {
        println!("{why}");
        return ExitCode::FAILURE;
    }
    let mut bins = Vec::new();
    for package in &packages {
        match build::bins(package) {
            Ok(dir) => bins.push((package.clone(), dir)),
            Err(why) => {
                println!("{why}");
                return ExitCode::FAILURE;
            }
        }
    }
    let bins_of = |package: &build::Package| {
        bins.iter()
            .find(|(built, _)| built == package)
            .map(|(_, dir)| dir.clone())
            .expect("every package was built")
    };
    println!("built in {:.1} s", started.elapsed().as_secs_f64());

    // The checks, two exercises at a time: most of a check's time is waiting for a reply
    // that a starter never sends.
    let jobs: Mutex<Vec<(usize, &Exercise)>> =
        Mutex::new(chosen.iter().enumerate().rev().collect());
    let results: Mutex<Vec<(usize, String, bool)>> = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some((index, exercise)) = jobs.lock().unwrap().pop() else {
                        break;
                    };
                    let clock = Instant::now();
                    let starter = Ctx {
                        bins: bins_of(&build::Package::Starter(exercise.starter)),
                        repo: repo(),
                    };
                    let solution = Ctx {
                        bins: bins_of(&build::Package::Solution(exercise.starter)),
                        repo: repo(),
                    };
                    let steps = steps(exercise.id);
                    let on_starter = harness::run_steps(&steps, &starter);
                    let on_solution = harness::run_steps(&steps, &solution);
                    let (line, ok) = judge(exercise, &on_starter, &on_solution, clock);
                    println!("{line}");
                    results.lock().unwrap().push((index, line, ok));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _, _)| *index);
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, _, ok)| !ok)
        .map(|(index, _, _)| chosen[*index].id)
        .collect();
    println!(
        "\nverify: {} exercises in {:.1} s: {}",
        results.len(),
        started.elapsed().as_secs_f64(),
        if failed.is_empty() {
            "every starter fails its check and every solution passes it".to_owned()
        } else {
            format!("wrong: {}", failed.join(", "))
        }
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One exercise's line in `verify`: right if the starter fails and the solution passes.
fn judge(
    exercise: &Exercise,
    starter: &Report,
    solution: &Report,
    clock: Instant,
) -> (String, bool) {
    let time = format!("{:.1} s", clock.elapsed().as_secs_f64());
    let id = exercise.id;
    match (starter.failure(), solution.failure()) {
        (Some((what, _)), None) => (
            format!("ok    {id:8} the starter fails at \"{what}\"; the solution passes ({time})"),
            true,
        ),
        (None, _) => (
            format!("WRONG {id:8} the starter passes every step: the check cannot tell ({time})"),
            false,
        ),
        (Some(_), Some((what, why))) => (
            format!("WRONG {id:8} the solution fails at \"{what}\" ({time}):\n{why}"),
            false,
        ),
    }
}
