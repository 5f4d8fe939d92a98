//! Which context and key names a [`Store`](super::Store) accepts.
//!
//! A context name becomes part of a file name in [`FileStore`](super::FileStore)
//! (`<context>.pstore`), so it is restricted to characters that are safe and unambiguous on
//! every common file system:
//! - contexts: 1 to [`MAX_NAME_LEN`] bytes of `a-z 0-9 _ - .`, not starting with `.`.
//!   Lowercase only, because case-insensitive file systems (macOS, Windows) would otherwise
//!   merge `Sessions` and `sessions` into one file; no leading `.` so that `.`/`..` and hidden
//!   files are impossible.
//! - keys: 1 to [`MAX_NAME_LEN`] bytes of `A-Z a-z 0-9 _ - .`. Keys live inside the file, so
//!   case is kept (matter.js uses camelCase keys such as `resumptionRecords`,
//!   `session/SessionManager.ts`).
//!
//! Both stores apply the same rules so behaviour never depends on the backing store.

use super::StoreError;

/// Longest accepted context or key name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// Which kind of name was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A context (a file in [`FileStore`](super::FileStore)).
    Context,
    /// A key inside a context.
    Key,
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameKind::Context => "context",
            NameKind::Key => "key",
        })
    }
}

/// What is wrong with a rejected name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// The name is the empty string.
    #[error("name is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    #[error("name is {len} bytes long, more than {max}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// [`MAX_NAME_LEN`].
        max: usize,
    },
    /// The name holds a character outside the accepted set.
    #[error("character {ch:?} at byte {at} is not allowed")]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its byte offset in the name.
        at: usize,
    },
    /// A context name starts with `.`.
    #[error("name must not start with '.'")]
    LeadingDot,
}

/// Checks a context name (see the module documentation for the rules).
pub fn validate_context(name: &str) -> Result<(), StoreError> {
    check(name, false)
        .and_then(|()| {
            if name.starts_with('.') {
                Err(NameProblem::LeadingDot)
            } else {
                Ok(())
            }
        })
        .map_err(|problem| invalid(NameKind::Context, name, problem))
}

/// Checks a key name (see the module documentation for the rules).
pub fn validate_key(name: &str) -> Result<(), StoreError> {
    key_problem(name).map_err(|problem| invalid(NameKind::Key, name, problem))
}

/// [`validate_key`] without the error wrapping, for the file decoder.
pub(super) fn key_problem(name: &str) -> Result<(), NameProblem> {
    check(name, true)
}

/// Length and character-set check shared by contexts and keys.
fn check(name: &str, allow_upper: bool) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameProblem::TooLong {
            len: name.len(),
            max: MAX_NAME_LEN,
        });
    }
    for (at, ch) in name.char_indices() {
        let ok = ch.is_ascii_lowercase()
            || ch.is_ascii_digit()
            || matches!(ch, '_' | '-' | '.')
            || (allow_upper && ch.is_ascii_uppercase());
        if !ok {
            return Err(NameProblem::BadChar { ch, at });
        }
    }
    Ok(())
}

fn invalid(kind: NameKind, name: &str, problem: NameProblem) -> StoreError {
    StoreError::InvalidName {
        kind,
        name: name.to_owned(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(result: Result<(), StoreError>) -> Option<(NameKind, NameProblem)> {
        match result {
            Ok(()) => None,
            Err(StoreError::InvalidName { kind, problem, .. }) => Some((kind, problem)),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn accepts_matter_js_names() {
        assert_eq!(problem(validate_context("sessions")), None);
        assert_eq!(problem(validate_key("resumptionRecords")), None);
        assert_eq!(problem(validate_context("node-1.fabric_2")), None);
    }

    #[test]
    fn rejects_empty_and_long_names() {
        use NameKind::*;
        assert_eq!(
            problem(validate_context("")),
            Some((Context, NameProblem::Empty))
        );
        assert_eq!(problem(validate_key("")), Some((Key, NameProblem::Empty)));
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            problem(validate_key(&long)),
            Some((
                Key,
                NameProblem::TooLong {
                    len: MAX_NAME_LEN + 1,
                    max: MAX_NAME_LEN
                }
            ))
        );
        assert_eq!(problem(validate_key(&long[1..])), None);
    }

    #[test]
    fn rejects_path_like_and_unsafe_contexts() {
        for (name, bad) in [
            ("a/b", '/'),
            ("a\\b", '\\'),
            ("a b", ' '),
            ("Sessions", 'S'),
            ("caf\u{e9}", '\u{e9}'),
            ("nul\0", '\0'),
        ] {
            match problem(validate_context(name)) {
                Some((NameKind::Context, NameProblem::BadChar { ch, .. })) => assert_eq!(ch, bad),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        for name in [".", "..", ".hidden"] {
            assert_eq!(
                problem(validate_context(name)),
                Some((NameKind::Context, NameProblem::LeadingDot))
            );
        }
    }

    #[test]
    fn keys_keep_case_but_reject_separators() {
        assert_eq!(problem(validate_key("ABC.def-1_2")), None);
        assert_eq!(
            problem(validate_key("a/b")),
            Some((NameKind::Key, NameProblem::BadChar { ch: '/', at: 1 }))
        );
    }
}
