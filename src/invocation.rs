//! How the user started `paseo`, so that the commands it prints (replay hints, reproduce lines)
//! can be pasted back as they are: `cargo run --release --` inside the repository, the
//! installed `paseo`, or the binary's path as the user typed it.
//!
//! [`crate::cli::main`] detects it once per process ([`detect`], [`set`]); library users and
//! the in-process tests that never call it get [`REPOSITORY`], the command the README gives.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::OnceLock;

/// The command that runs paseo from a clone of the repository (the README's).
pub const REPOSITORY: &str = "cargo run --release --";

static COMMAND: OnceLock<String> = OnceLock::new();

/// The command that starts paseo, as the user started it this process (default
/// [`REPOSITORY`]).
pub fn command() -> &'static str {
    COMMAND.get().map_or(REPOSITORY, String::as_str)
}

/// Sets [`command`] for the rest of the process (the first call wins).
pub fn set(command: String) {
    let _ = COMMAND.set(command);
}

/// The command that started this process.
///
/// Under cargo (`cargo run`; cargo puts `CARGO` and `CARGO_PKG_NAME=paseo` in the binary's
/// environment) it is `cargo run` with the profile of the directory the binary was built in
/// (`release` → `--release`, `debug` → none, another → `--profile NAME`). Otherwise it is
/// `argv[0]` as given: `paseo` when found on the PATH, `./target/release/paseo` when typed so.
pub fn detect(
    argv0: Option<&OsStr>,
    env: &dyn Fn(&str) -> Option<String>,
    exe: Option<&Path>,
) -> String {
    let under_cargo = env("CARGO").is_some() && env("CARGO_PKG_NAME").as_deref() == Some("paseo");
    if under_cargo {
        let profile = exe
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(OsStr::to_str);
        return match profile {
            Some("debug") => "cargo run --".to_owned(),
            Some("release") | None => REPOSITORY.to_owned(),
            Some(other) => format!("cargo run --profile {other} --"),
        };
    }
    let given = argv0
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "paseo".to_owned());
    shell_word(&given)
}

/// `word` quoted for a POSIX shell when it needs to be.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn under_cargo_the_profile_of_the_binary_decides() {
        let cargo = env_of(&[("CARGO", "/usr/bin/cargo"), ("CARGO_PKG_NAME", "paseo")]);
        let at = |p: &str| detect(Some(OsStr::new(p)), &cargo, Some(Path::new(p)));
        assert_eq!(at("/r/target/release/paseo"), "cargo run --release --");
        assert_eq!(at("/r/target/debug/paseo"), "cargo run --");
        assert_eq!(at("/r/target/fast/paseo"), "cargo run --profile fast --");
    }

    #[test]
    fn otherwise_argv0_as_given() {
        let none = env_of(&[]);
        let exe = Some(Path::new("/home/u/.cargo/bin/paseo"));
        assert_eq!(detect(Some(OsStr::new("paseo")), &none, exe), "paseo");
        assert_eq!(
            detect(Some(OsStr::new("./target/release/paseo")), &none, exe),
            "./target/release/paseo"
        );
        assert_eq!(
            detect(Some(OsStr::new("/opt/my tools/paseo")), &none, exe),
            "'/opt/my tools/paseo'"
        );
        assert_eq!(detect(None, &none, exe), "paseo");
        // Another package's cargo environment is not ours.
        let other = env_of(&[("CARGO", "cargo"), ("CARGO_PKG_NAME", "other")]);
        assert_eq!(detect(Some(OsStr::new("paseo")), &other, exe), "paseo");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("scenarios/a-b.yaml"), "scenarios/a-b.yaml");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
