//! Every error of a file in one pass. The strict parser stops at the first mistake; to find the
//! next one, the text is parsed again with the mistake taken out. What is taken out is replaced
//! by spaces (never removed), so every later line and column still points into the file as the
//! user wrote it:
//!
//! - an unknown key: the key and its value;
//! - an unknown value of a list of names (`role: devise`): the nearest allowed name when it fits
//!   in the same width (so the rest of the entry is still checked as the user meant it), else
//!   the entry;
//! - any other bad value (wrong type, bad unit): its `key: value` entry, or its element of a
//!   `[ … ]` list.
//!
//! When a required key would go missing that way, or nothing can be taken out, recovery stops:
//! the errors found so far are reported. Only when every mistake came out cleanly, key by key,
//! does the checked file also go through the semantic checks (unknown nodes, labels, …), whose
//! errors join the list.

/// One strict-parser error: where, and its message (without the location suffix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u64,
    /// 1-based column (characters).
    pub column: u64,
    /// The parser's message.
    pub message: String,
}

/// A text with one mistake taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repaired {
    /// The new text.
    pub text: String,
    /// A name replaced by a longer one: (line, column after which columns moved, by how
    /// many characters). Later errors on that line are moved back by it.
    pub shift: Option<(u64, u64, u64)>,
    /// The key of an entry taken out (a later "missing" error about it is ours, not the
    /// user's).
    pub removed: Option<String>,
    /// Where something was blanked: (line, first column); a later error there is ours. `None`
    /// when a name was replaced by the one meant (the entry is still checked as written).
    pub changed: Option<(u64, u64)>,
}

/// `text` with the mistake of `error` taken out, or `None` when it cannot be (then recovery
/// stops).
pub fn repair(text: &str, error: &ParseError, allowed: &[String]) -> Option<Repaired> {
    let mut lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let row = usize::try_from(error.line).ok()?.checked_sub(1)?;
    let col = usize::try_from(error.column).ok()?.checked_sub(1)?;
    let line = lines.get(row)?.clone();
    if col >= line.len() {
        return None;
    }
    let message = error.message.as_str();
    let mut shift = None;
    let mut replaced = false;
    let removed = if message.starts_with("unknown field") {
        // The key as the parser read it (it may hold a space).
        blank_entry(&mut lines, row, col)?;
        super::diagnostic::unknown_word(message)
    } else if message.starts_with("duplicate") {
        blank_entry(&mut lines, row, col)?
    } else if message.starts_with("unknown variant") {
        let width = token_end(&line, col) - col;
        let word: String = line.get(col..col + width)?.iter().collect();
        // Only where the parser points at the unknown name itself.
        let named = message.contains(&format!("`{word}`"));
        let nearest = super::diagnostic::renamed(&word)
            .or_else(|| super::diagnostic::nearest(&word, allowed.iter().map(String::as_str)))
            .filter(|_| named);
        match nearest {
            Some(name) => {
                let target = lines.get_mut(row)?;
                let mut replacement: Vec<char> = name.chars().collect();
                let longer = replacement.len().saturating_sub(width);
                if longer == 0 {
                    replacement.resize(width, ' ');
                } else {
                    shift = Some((error.line, error.column, longer as u64));
                }
                target.splice(col..col + width, replacement);
                replaced = true;
                None
            }
            None if is_key(&line, col) => blank_entry(&mut lines, row, col)?,
            None => blank_value(&mut lines, row, col)?,
        }
    } else if message.starts_with("missing field") {
        return None;
    } else if is_key(&line, col) {
        blank_entry(&mut lines, row, col)?
    } else {
        blank_value(&mut lines, row, col)?
    };
    let mut out: String = lines
        .iter()
        .map(|l| l.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    (out != text).then_some(Repaired {
        text: out,
        shift,
        removed,
        changed: (!replaced).then_some((error.line, error.column)),
    })
}

/// End (exclusive) of the plain or quoted token starting at `col`.
fn token_end(line: &[char], col: usize) -> usize {
    match line.get(col) {
        Some(&q) if q == '"' || q == '\'' => line
            .iter()
            .skip(col + 1)
            .position(|c| *c == q)
            .map_or(line.len(), |p| col + p + 2),
        _ => line
            .iter()
            .skip(col)
            .position(|c| matches!(c, ',' | '}' | ']' | '#') || *c == ':' || c.is_whitespace())
            .map_or(line.len(), |p| col + p),
    }
}

/// Whether the token at `col` is a key (a `:` follows it).
fn is_key(line: &[char], col: usize) -> bool {
    let end = token_end(line, col);
    line.get(end) == Some(&':')
}

/// Whether the entry at `col` sits in a flow collection (`{ … }` or `[ … ]`) on its line.
fn in_flow(line: &[char], col: usize) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in line.iter().take(col) {
        match (quote, c) {
            (Some(q), c) if *c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(*c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, '#') => break,
            _ => {}
        }
    }
    depth > 0
}

/// End (exclusive) of the flow element starting at `col`: the next `,` (included) or the
/// closing bracket (excluded) at the same depth, on this line.
fn flow_element_end(line: &[char], col: usize) -> Option<(usize, bool)> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in line.iter().enumerate().skip(col) {
        match (quote, c) {
            (Some(q), c) if *c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(*c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') if depth == 0 => return Some((i, false)),
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => return Some((i + 1, true)),
            _ => {}
        }
    }
    None
}

fn blank(line: &mut [char], from: usize, to: usize) {
    for c in line.iter_mut().take(to).skip(from) {
        *c = ' ';
    }
}

/// Leading spaces of a line, `None` for blank and comment lines.
fn indent(line: &[char]) -> Option<usize> {
    let n = line.iter().take_while(|c| **c == ' ').count();
    match line.get(n) {
        None | Some('#') => None,
        Some(_) => Some(n),
    }
}

/// Blanks the `key: value` entry whose key starts at (`row`, `col`); its key.
fn blank_entry(lines: &mut [Vec<char>], row: usize, col: usize) -> Option<Option<String>> {
    let line = lines.get(row)?.clone();
    let key: String = line
        .get(col..token_end(&line, col))
        .map(|k| k.iter().collect())
        .unwrap_or_default();
    let key = Some(key.trim_matches(|c| c == '"' || c == '\'').to_owned());
    if in_flow(&line, col) {
        let (end, comma) = flow_element_end(&line, col)?;
        let target = lines.get_mut(row)?;
        blank(target, col, end);
        if !comma {
            // The last entry: drop the comma before it too (`{a: 1, b: 2}` → `{a: 1     }`).
            let before = target.iter().take(col).rposition(|c| !c.is_whitespace());
            if let Some(p) = before.filter(|p| target.get(*p) == Some(&',')) {
                target[p] = ' ';
            }
        }
        return Some(key);
    }
    // Block: this line from the key on, and the lines indented deeper than the key.
    let target = lines.get_mut(row)?;
    let len = target.len();
    blank(target, col, len);
    let mut sibling = false;
    for next in lines.iter_mut().skip(row + 1) {
        match indent(next) {
            None => {
                let len = next.len();
                blank(next, 0, len);
            }
            Some(n) if n > col => {
                let len = next.len();
                blank(next, 0, len);
            }
            Some(n) => {
                sibling = n == col;
                break;
            }
        }
    }
    // The only key of a list item (`- wait: 5`): the item goes too, not to leave a null.
    let target = lines.get_mut(row)?;
    let lead: String = target.iter().take(col).collect();
    if !sibling && lead.trim() == "-" {
        blank(target, 0, col);
    }
    Some(key)
}

/// Blanks the value at (`row`, `col`): its `key: value` entry if a key precedes it on the line
/// (or ends the line before), else its element of a flow list.
fn blank_value(lines: &mut [Vec<char>], row: usize, col: usize) -> Option<Option<String>> {
    let line = lines.get(row)?.clone();
    // `key: value` on this line: find the key.
    let before: Vec<char> = line.iter().take(col).copied().collect();
    let trimmed = before.iter().rposition(|c| !c.is_whitespace());
    if let Some(colon) = trimmed.filter(|p| before.get(*p) == Some(&':')) {
        let key_start = before
            .iter()
            .take(colon)
            .rposition(|c| c.is_whitespace() || matches!(c, '{' | ','))
            .map_or(0, |p| p + 1);
        return blank_entry(lines, row, key_start);
    }
    if in_flow(&line, col) {
        let (end, comma) = flow_element_end(&line, col)?;
        let target = lines.get_mut(row)?;
        blank(target, col, end);
        if !comma {
            let before = target.iter().take(col).rposition(|c| !c.is_whitespace());
            if let Some(p) = before.filter(|p| target.get(*p) == Some(&',')) {
                target[p] = ' ';
            }
        }
        return Some(None);
    }
    // A block value under a `key:` that ends the previous line.
    let above = (0..row)
        .rev()
        .find(|r| lines.get(*r).and_then(|l| indent(l)).is_some())?;
    let prev = lines.get(above)?.clone();
    if prev
        .iter()
        .rposition(|c| !c.is_whitespace())
        .and_then(|p| prev.get(p))
        != Some(&':')
    {
        return None;
    }
    let key_start = indent(&prev)?;
    let key_start = if prev.get(key_start) == Some(&'-') {
        key_start
            + prev
                .iter()
                .skip(key_start + 1)
                .take_while(|c| **c == ' ')
                .count()
            + 1
    } else {
        key_start
    };
    blank_entry(lines, above, key_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64, column: u64, message: &str) -> ParseError {
        ParseError {
            line,
            column,
            message: message.to_owned(),
        }
    }

    #[test]
    fn an_unknown_key_goes_with_its_value_and_positions_stay() {
        let step = "steps:\n  - wait: 5\n  - crash: dev\n";
        let out = repair(step, &at(2, 11, "invalid value"), &[]).expect("repaired");
        assert_eq!(out.text, "steps:\n           \n  - crash: dev\n");
        let text = "a: 1\nbad:\n  x: 2\n  y: 3\nc: 4\n";
        let out = repair(text, &at(2, 1, "unknown field `bad`"), &[]).expect("repaired");
        assert_eq!(out.removed.as_deref(), Some("bad"));
        assert_eq!(out.text, "a: 1\n    \n      \n      \nc: 4\n");
        let flow = "- {name: dev, rle: device, x: 1}\n";
        let out = repair(flow, &at(1, 15, "unknown field `rle`"), &[])
            .expect("repaired")
            .text;
        assert_eq!(out, "- {name: dev,              x: 1}\n");
        let last = "- {name: dev, rle: device}\n";
        let out = repair(last, &at(1, 15, "unknown field `rle`"), &[])
            .expect("repaired")
            .text;
        assert_eq!(out, format!("- {{name: dev{}}}\n", " ".repeat(13)));
    }

    #[test]
    fn an_unknown_name_becomes_the_nearest_that_fits_or_goes() {
        let allowed: Vec<String> = ["commissioner", "device"].map(String::from).to_vec();
        let text = "- {name: dev, role: devise}\n";
        let out = repair(text, &at(1, 21, "unknown variant `devise`"), &allowed).expect("ok");
        assert_eq!(out.text, "- {name: dev, role: device}\n");
        assert_eq!(out.shift, None);
        let text = "- {name: dev, role: devce, x: 1}\n";
        let out = repair(text, &at(1, 21, "unknown variant `devce`"), &allowed).expect("ok");
        assert_eq!(out.text, "- {name: dev, role: device, x: 1}\n");
        assert_eq!(out.shift, Some((1, 21, 1)));
        let text = "- {name: dev, role: zzzzzz}\n";
        let out = repair(text, &at(1, 21, "unknown variant `zzzzzz`"), &allowed).expect("ok");
        assert_eq!(out.text, "- {name: dev              }\n");
        assert_eq!(out.removed.as_deref(), Some("role"));
    }

    #[test]
    fn a_bad_value_takes_its_entry_or_list_element() {
        let text = "  - exchange: {from: a, to: b, messages: many}\n";
        let out = repair(text, &at(1, 42, "invalid type"), &[])
            .expect("ok")
            .text;
        assert_eq!(out, "  - exchange: {from: a, to: b                }\n");
        let list = "faults: [x, reuse]\n";
        let out = repair(list, &at(1, 10, "invalid value"), &[])
            .expect("ok")
            .text;
        assert_eq!(out, "faults: [   reuse]\n");
        assert_eq!(repair("a: 1\n", &at(1, 1, "missing field `b`"), &[]), None);
    }
}
