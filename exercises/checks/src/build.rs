//! Building the programs under test, and finding them.
//!
//! Every starter, solution and student's copy has programs called `server` and `client`, like
//! the chapters, and cargo copies each build of them to the same `target/debug/server`: the
//! last build wins. So each package is built on its own (after one build of all of them side
//! by side, which is the slow part) and its programs are copied at once to a folder of their
//! own, `target/debug/exercise-bins/PACKAGE/`, which the check then runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A package whose programs a check can run.
#[derive(Clone, Debug, PartialEq)]
pub enum Package {
    /// `exercises/starters/NAME`, package `NAME-starter`.
    Starter(&'static str),
    /// `exercises/solutions/NAME`, package `NAME-solution`; for ch15, the chapter itself.
    Solution(&'static str),
    /// The student's copy, `exercises/work/NAME`, package `NAME`.
    Work(&'static str),
}

impl Package {
    /// The workspace's manifest and the package's name.
    fn cargo(&self) -> (PathBuf, String) {
        let exercises = crate::repo().join("exercises/Cargo.toml");
        match self {
            Package::Starter(name) => (exercises, format!("{name}-starter")),
            // The homework's reference solution is the chapter's own crate.
            Package::Solution("ch15") => (
                crate::repo().join("Cargo.toml"),
                "ch15-ftp-homework".to_owned(),
            ),
            Package::Solution(name) => (exercises, format!("{name}-solution")),
            Package::Work(name) => (exercises, (*name).to_owned()),
        }
    }
}

/// cargo, run for the workspace of `manifest`, from its folder: cargo reads its settings
/// (exercises/.cargo/config.toml, which puts the builds in the repository's target/) from the
/// folder it runs in.
fn cargo(manifest: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(manifest.parent().expect("a manifest is in a folder"))
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest);
    command
}

/// Builds all these packages' programs, in as few cargo commands as there are workspaces.
pub fn all(packages: &[Package]) -> Result<(), String> {
    let mut by_manifest: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for package in packages {
        let (manifest, name) = package.cargo();
        match by_manifest.iter_mut().find(|(m, _)| *m == manifest) {
            Some((_, names)) => names.push(name),
            None => by_manifest.push((manifest, vec![name])),
        }
    }
    for (manifest, names) in by_manifest {
        let mut command = cargo(&manifest);
        command.args(["--quiet", "--bins"]);
        for name in &names {
            command.args(["-p", name]);
        }
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build of {} failed", names.join(", ")));
        }
    }
    Ok(())
}

/// Builds one package's programs (cargo's messages, errors included, go to stderr) and copies
/// them to a folder of their own, which it returns.
pub fn bins(package: &Package) -> Result<PathBuf, String> {
    let (manifest, name) = package.cargo();
    let output = cargo(&manifest)
        .args([
            "--quiet",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .args(["-p", &name])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo could not build {name}"));
    }
    let mut into = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_bin = message["reason"] == "compiler-artifact"
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
        let Some(exe) = message["executable"].as_str().filter(|_| is_bin) else {
            continue;
        };
        let exe = Path::new(exe);
        let dir = exe
            .parent()
            .expect("a program is in a folder")
            .join("exercise-bins")
            .join(&name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir:?}: {e}"))?;
        let copy = dir.join(exe.file_name().expect("a program has a name"));
        // Copied to a new file and renamed: a program still running from the last check keeps
        // its old file.
        let fresh = copy.with_extension("new");
        std::fs::copy(exe, &fresh)
            .and_then(|_| std::fs::rename(&fresh, &copy))
            .map_err(|e| format!("cannot copy {exe:?} to {copy:?}: {e}"))?;
        into = Some(dir);
    }
    into.ok_or_else(|| format!("cargo built {name} but reported no program"))
}
