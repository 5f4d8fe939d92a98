//! Errors in scenario files, reported like a compiler: file, line and column, the source line,
//! a caret under the culprit, the message and a hint (often "did you mean …?").
//!
//! ```text
//! error: unknown field `seeed`
//!   --> scenarios/pase.yaml:3:1
//!    |
//!  3 | seeed: 7
//!    | ^^^^^
//!    = help: did you mean `seed`?
//! ```

use std::fmt::Write as _;

use serde_saphyr::Location;

/// One error at a place in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given.
    pub file: String,
    /// 1-based line (0: the file as a whole).
    pub line: u64,
    /// 1-based column (0: the whole line).
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn at(file: &str, location: &Location, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line: location.line(),
            column: location.column(),
            message: message.into(),
            help: None,
        }
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: message.into(),
            help: None,
        }
    }

    /// With a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With a hint if there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// The report: header, location, source line with a caret, hint.
    pub fn render(&self, source: &str) -> String {
        let mut out = format!("error: {}\n", self.message);
        if self.line == 0 {
            let _ = writeln!(out, "  --> {}", self.file);
        } else {
            let _ = writeln!(out, "  --> {}:{}:{}", self.file, self.line, self.column);
            if let Some(text) = source.lines().nth(self.line as usize - 1) {
                let number = self.line.to_string();
                let pad = " ".repeat(number.len());
                let _ = writeln!(out, " {pad} |");
                let _ = writeln!(out, " {number} | {text}");
                let start = (self.column.max(1) - 1) as usize;
                let width = token_width(text, start);
                // Tabs before the caret keep their width so the caret lines up.
                let lead: String = text
                    .chars()
                    .take(start)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, " {pad} | {lead}{}", "^".repeat(width));
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "   = help: {help}");
        }
        out
    }
}

/// Width of the token starting at character `start` of `line` (a key, a word, a quoted
/// string), at least 1.
fn token_width(line: &str, start: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(start).collect();
    match rest.first() {
        None => 1,
        Some('"') | Some('\'') => {
            let quote = rest[0];
            rest.iter()
                .skip(1)
                .position(|c| *c == quote)
                .map_or(rest.len(), |end| end + 2)
        }
        Some(_) => rest
            .iter()
            .position(|c| c.is_whitespace() || matches!(c, ':' | ',' | '}' | ']' | '#'))
            .unwrap_or(rest.len())
            .max(1),
    }
}

/// Levenshtein distance (characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The candidate closest to `word`, if close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        // Ties go to the longer common prefix (`pear` is `pair`, not `heal`), then by name.
        .min_by_key(|(d, c)| (*d, std::cmp::Reverse(common_prefix(word, c)), *c))
        .map(|(_, c)| c)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// "did you mean `x`?" when something is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Names the scenario language renamed: (old, new).
const RENAMED: [(&str, &str); 1] = [("message-received", "app-received")];

/// The new name of a renamed one.
pub fn renamed(word: &str) -> Option<&'static str> {
    RENAMED
        .iter()
        .find(|(old, _)| *old == word)
        .map(|(_, new)| *new)
}

/// A parser error message (`…` without its location suffix) turned into a message and a hint.
pub fn explain_parse_error(message: &str) -> (String, Option<String>) {
    for what in ["unknown field", "unknown variant"] {
        if let Some(rest) = message.strip_prefix(what) {
            let (word, allowed) = split_unknown(rest);
            let list: Vec<&str> = allowed.iter().map(String::as_str).collect();
            // In the words of the scenario language: keys, step names and values.
            let noun = match what {
                "unknown field" => "key",
                _ if list.contains(&"pair") && list.contains(&"expect") => "step",
                _ => "value",
            };
            let message = format!("unknown {noun} `{word}`");
            // Renamed so that scenarios, traces and failures use one word.
            let hint = match renamed(&word) {
                Some(new) => Some(format!(
                    "`{word}` is now `{new}`, as the trace line says it"
                )),
                None => did_you_mean(&word, list.iter().copied()),
            };
            let help = match hint {
                Some(hint) => format!("{hint} (allowed: {})", list.join(", ")),
                None => format!("allowed: {}", list.join(", ")),
            };
            return (message, Some(help));
        }
    }
    if message.contains("expected end of mapping after enum variant value") {
        return (
            "a step is a map with one key (the step's name)".to_owned(),
            Some(
                "put `label` and `outcome` inside the step's arguments, e.g. \
                 `- pair: {commissioner: ctrl, device: dev, label: first}`"
                    .to_owned(),
            ),
        );
    }
    if let Some(kind) = message.strip_prefix("invalid ")
        && (kind.starts_with('u') || kind.starts_with('i'))
    {
        return (
            format!("expected a whole number ({kind})"),
            Some("numbers here are whole and not negative".to_owned()),
        );
    }
    if message.starts_with("invalid boolean") {
        return (
            "expected `true` or `false`".to_owned(),
            Some("a yes/no key takes `true` or `false`".to_owned()),
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key:") {
        let key = rest.split(',').next().unwrap_or("").trim();
        return (
            format!("`{key}` is given twice"),
            Some("a key may appear once in a map: keep one".to_owned()),
        );
    }
    if let Some(field) = message.strip_prefix("missing field") {
        return (format!("missing key {}", field.trim()), None);
    }
    (message.to_owned(), None)
}

/// The name an "unknown field/variant `x`" error is about.
pub fn unknown_word(message: &str) -> Option<String> {
    ["unknown field", "unknown variant"]
        .iter()
        .find_map(|what| message.strip_prefix(what))
        .map(|rest| split_unknown(rest).0)
}

/// The names a parser error lists as allowed (`unknown variant `x`, expected one of a, b`).
pub fn allowed_names(message: &str) -> Vec<String> {
    ["unknown field", "unknown variant"]
        .iter()
        .find_map(|what| message.strip_prefix(what))
        .map(|rest| split_unknown(rest).1)
        .unwrap_or_default()
}

/// Splits "` `word`, expected one of a, b, c`" into the word and the allowed names.
fn split_unknown(rest: &str) -> (String, Vec<String>) {
    let rest = rest.trim();
    let (word, tail) = match rest.strip_prefix('`').and_then(|r| r.split_once('`')) {
        Some((word, tail)) => (word.to_owned(), tail),
        None => (rest.to_owned(), ""),
    };
    let allowed = tail
        .split_once("expected one of ")
        .or_else(|| tail.split_once("expected "))
        .map(|(_, list)| {
            list.split(',')
                .map(|s| s.trim().trim_matches('`').to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    (word, allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_nearest() {
        assert_eq!(edit_distance("seeed", "seed"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            nearest("comissioner", ["device", "commissioner"]),
            Some("commissioner")
        );
        assert_eq!(nearest("zzz", ["device", "commissioner"]), None);
    }

    #[test]
    fn unknown_field_messages_become_did_you_mean() {
        let (message, help) =
            explain_parse_error("unknown field `seeed`, expected one of name, seed, steps");
        assert_eq!(message, "unknown key `seeed`");
        assert_eq!(
            help.as_deref(),
            Some("did you mean `seed`? (allowed: name, seed, steps)")
        );
    }

    #[test]
    fn render_puts_a_caret_under_the_token() {
        let d = Diagnostic {
            file: "x.yaml".into(),
            line: 2,
            column: 3,
            message: "unknown node `dve`".into(),
            help: Some("did you mean `dev`?".into()),
        };
        let text = d.render("a: 1\n- pair: dve\n");
        assert_eq!(
            text,
            "error: unknown node `dve`\n  --> x.yaml:2:3\n   |\n 2 | - pair: dve\n   |   ^^^^\n   = help: did you mean `dev`?\n"
        );
    }
}
