//! Paths as a user sees them: `/` is their home, and nothing is above it.
//!
//! A user types `docs`, `../x`, `/a/b.txt`, `./c/../d`. The server keeps the user's current
//! directory as a list of names and resolves each path against it *as text*, before going
//! near the file system: `..` above `/` is refused, and so is any name that could mean
//! something else to the file system or to a terminal (a NUL byte, a backslash, a control
//! character, the folder kept for interrupted uploads). Where the path leads is limited too:
//! at most [`MAX_DEPTH`] folders deep and [`MAX_PATH`] bytes long, so that nobody can grow a
//! tree that the server (or `rm -r`, or a backup) cannot walk. What is left is a path below
//! the home; `cap-std` then opens it without following any symbolic link out of the home.

use std::fmt;
use std::path::PathBuf;

/// The folder in each home where interrupted uploads wait to be resumed; users cannot name it.
pub const PARTIAL_DIR: &str = ".partial";

/// The longest name of one file or folder.
pub const MAX_NAME: usize = 255;
/// The longest path a user may type, and the longest that it may lead to (from the home).
pub const MAX_TYPED: usize = 4096;
pub const MAX_PATH: usize = 1024;
/// How many folders deep a path may lead, below the home.
pub const MAX_DEPTH: usize = 64;

/// A path inside a home: the names from the home down, e.g. `["docs", "a.txt"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VPath(Vec<String>);

impl VPath {
    /// The home itself, `/`.
    pub fn root() -> VPath {
        VPath::default()
    }

    // ANCHOR: join
    /// Resolves `path` from this directory: absolute if it starts with `/` (from the home),
    /// else relative. Refuses anything that would leave the home, lead too deep, or is not a
    /// plain name.
    pub fn join(&self, path: &str) -> Result<VPath, String> {
        if path.len() > MAX_TYPED {
            return Err(format!("path too long ({} bytes)", path.len()));
        }
        let mut names = if path.starts_with('/') {
            Vec::new()
        } else {
            self.0.clone()
        };
        for name in path.split('/') {
            match name {
                "" | "." => {}
                ".." => {
                    if names.pop().is_none() {
                        return Err(format!("'{}' is outside your home", shown(path)));
                    }
                }
                _ => {
                    check_name(name)?;
                    names.push(name.to_owned());
                }
            }
        }
        let resolved = VPath(names);
        if resolved.0.len() > MAX_DEPTH {
            return Err(format!(
                "'{}' is too deep: at most {MAX_DEPTH} folders below your home",
                shown(path)
            ));
        }
        if resolved.len() > MAX_PATH {
            return Err(format!(
                "'{}' is too long: at most {MAX_PATH} bytes from your home",
                shown(path)
            ));
        }
        Ok(resolved)
    }
    // ANCHOR_END: join

    /// The length of the path as text, `/docs/a.txt`, without the leading `/`.
    fn len(&self) -> usize {
        self.0
            .iter()
            .map(|name| name.len() + 1)
            .sum::<usize>()
            .saturating_sub(1)
    }

    /// The path below the home, for `cap-std` (`.` for the home itself).
    pub fn relative(&self) -> PathBuf {
        if self.0.is_empty() {
            PathBuf::from(".")
        } else {
            self.0.iter().collect()
        }
    }

    /// The last name, or `None` for the home itself.
    pub fn name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.0.join("/"))
    }
}

/// A path as a message shows it: cut if long, control characters escaped.
fn shown(path: &str) -> String {
    match path.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", crate::printable(&path[..at])),
        None => crate::printable(path),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME {
        return Err(format!("name too long ({} bytes)", name.len()));
    }
    if name.contains(['\0', '\\']) || name.chars().any(char::is_control) {
        return Err(format!("{name:?} is not a plain name"));
    }
    if name == PARTIAL_DIR {
        return Err(format!(
            "'{PARTIAL_DIR}' is reserved for interrupted uploads"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(path: &str) -> VPath {
        VPath::root().join(path).unwrap()
    }

    #[test]
    fn paths_resolve_like_a_shell_would() {
        assert_eq!(at("docs/a.txt").to_string(), "/docs/a.txt");
        assert_eq!(at("/docs/./b/../a.txt").to_string(), "/docs/a.txt");
        assert_eq!(at("docs").join("..").unwrap(), VPath::root());
        assert_eq!(at("docs").join("/x").unwrap().to_string(), "/x");
        assert_eq!(
            at("docs").join("x").unwrap().relative(),
            PathBuf::from("docs/x")
        );
        assert_eq!(VPath::root().relative(), PathBuf::from("."));
        assert_eq!(at("//docs//a.txt/").to_string(), "/docs/a.txt");
    }

    #[test]
    fn nothing_leaves_the_home() {
        for escape in [
            "..",
            "../x",
            "/..",
            "docs/../../x",
            "./../x",
            "/../../etc/passwd",
        ] {
            let error = VPath::root().join(escape).unwrap_err();
            assert!(error.contains("outside your home"), "{escape}: {error}");
        }
        // An absolute path is from the home, not from the machine's root.
        assert_eq!(at("/etc/passwd").relative(), PathBuf::from("etc/passwd"));
    }

    #[test]
    fn odd_names_are_refused() {
        for odd in [
            "a\0b",
            "a\\b",
            ".partial",
            "x/.partial/y",
            "a\nb",
            "\u{1b}[31m",
        ] {
            assert!(VPath::root().join(odd).is_err(), "{odd:?}");
        }
        assert!(VPath::root().join(&"x".repeat(256)).is_err());
        assert!(VPath::root().join(&"x/".repeat(3000)).is_err());
    }

    #[test]
    fn where_a_path_leads_is_limited_however_it_is_typed() {
        // One step at a time, as `cd a` typed again and again would go.
        let mut cwd = VPath::root();
        for _ in 0..MAX_DEPTH {
            cwd = cwd.join("a").unwrap();
        }
        let error = cwd.join("a").unwrap_err();
        assert!(error.contains("too deep"), "{error}");
        assert!(cwd.join("..").is_ok());
        // Few folders, long names.
        let long = "n".repeat(200);
        let five = VPath::root().join(&[long.as_str(); 5].join("/")).unwrap();
        let error = five.join(&long).unwrap_err();
        assert!(error.contains("too long"), "{error}");
    }

    proptest! {
        #[test]
        fn any_accepted_path_stays_below_the_home(path in "[a-z./\\\\]{0,40}", from in "[a-z/]{0,12}") {
            let start = VPath::root().join(&from).unwrap();
            if let Ok(resolved) = start.join(&path) {
                let relative = resolved.relative();
                prop_assert!(relative.is_relative());
                prop_assert!(relative.components().all(|c| matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )));
            }
        }
    }
}
