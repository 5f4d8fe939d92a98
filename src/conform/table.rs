//! The conformance table, as Markdown and as a standalone HTML page.

use std::fmt::Write as _;

use super::{Row, Stack, Status};

/// The Markdown table: one row per scenario, one column per stack, then each deviation and
/// failure with its first differing event and its replay command.
pub fn markdown(rows: &[Row], stacks: &[Stack], title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    let header: Vec<&str> = stacks.iter().map(|s| s.name()).collect();
    let _ = writeln!(out, "| scenario | {} |", header.join(" | "));
    let _ = writeln!(out, "| --- |{}", " --- |".repeat(stacks.len()));
    for row in rows {
        let cells: Vec<&str> = row.cells.iter().map(|c| c.status.word()).collect();
        let _ = writeln!(out, "| {} | {} |", row.scenario, cells.join(" | "));
    }
    let notes: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            row.cells
                .iter()
                .filter(|c| c.status != Status::Pass)
                .map(move |c| {
                    format!(
                        "- **{} × {}: {}** — {}\n  replay: `{}`",
                        row.scenario,
                        c.stack.name(),
                        c.status.word(),
                        md_escape(&c.detail),
                        c.replay
                    )
                })
        })
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\n## Deviations and failures\n");
        for n in notes {
            let _ = writeln!(out, "{n}");
        }
    }
    let _ = writeln!(out, "\n## Normalised traces (what our node saw)\n");
    for row in rows {
        let _ = writeln!(out, "<details><summary>{}</summary>\n", row.scenario);
        for c in &row.cells {
            let _ = writeln!(out, "{}:\n\n```text", c.stack.name());
            for line in &c.trace {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "```\n");
        }
        let _ = writeln!(out, "</details>\n");
    }
    let _ = writeln!(out, "## Replay\n");
    for row in rows {
        for c in &row.cells {
            let _ = writeln!(
                out,
                "- {} × {}: `{}`",
                row.scenario,
                c.stack.name(),
                c.replay
            );
        }
    }
    out
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A standalone HTML page with the same table (each cell's detail and replay command under
/// its status).
pub fn html(rows: &[Row], stacks: &[Stack], title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;vertical-align:top}}.pass{{background:#dfd}}.deviation{{background:#ffd}}.fail{{background:#fdd}}code{{font-size:85%}}</style>\n</head><body>\n<h1>{t}</h1>\n<table>\n<tr><th>scenario</th>",
        t = html_escape(title)
    );
    for s in stacks {
        let _ = write!(out, "<th>{}</th>", s.name());
    }
    let _ = writeln!(out, "</tr>");
    for row in rows {
        let _ = write!(out, "<tr><td>{}</td>", html_escape(&row.scenario));
        for c in &row.cells {
            let w = c.status.word();
            let _ = write!(out, "<td class=\"{w}\"><b>{w}</b>");
            if !c.detail.is_empty() {
                let _ = write!(out, "<br>{}", html_escape(&c.detail));
            }
            let _ = write!(out, "<br><code>{}</code></td>", html_escape(&c.replay));
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</table>\n</body></html>");
    out
}
