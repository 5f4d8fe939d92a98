//! `paseo run|replay FILE --html OUT`: one self-contained HTML page to look at a run. The
//! page holds its style (`viewer.css`), its script (`viewer.js`) and the run's data (one JSON
//! value, [`model::View`]) inline and fetches nothing. Same scenario and seed, same bytes: the
//! data is built from the trace and the run's verdict only, in trace order.

mod flights;
mod model;

pub use flights::Fate;
pub use model::{View, capture_view, view};

use crate::run::Run;
use crate::scenario::Scenario;

const CSS: &str = include_str!("viewer.css");
const JS: &str = include_str!("viewer.js");

/// The HTML page of `run` of `scenario`.
pub fn render(scenario: &Scenario, run: &Run) -> String {
    page(&view(scenario, run))
}

/// The HTML page showing `view`.
pub fn page(view: &View) -> String {
    // The view holds strings, numbers, options and vectors only: serialization cannot fail.
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".to_owned());
    let title = escape_text(&format!("{} seed {}", view.scenario, view.seed));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"paseo {version}\">\n\
         <title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <header id=\"head\"></header>\n<div id=\"controls\"></div>\n\
         <main><div id=\"timeline\"></div><aside id=\"details\"><h2>details</h2>\
         <p>Click a datagram (an arrow) to see its headers.</p></aside></main>\n\
         <section id=\"report\"></section>\n<pre id=\"selftest-result\" hidden></pre>\n\
         <script type=\"application/json\" id=\"paseo-data\">{data}</script>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
        data = script_safe(&data),
    )
}

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` become `\u003c`, `\u003e`
/// and `\u0026` (so no `</script>` or `<!--` can end or bend the element), and U+2028/U+2029
/// are escaped too. Outside strings JSON holds none of these, so the value is unchanged.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for an HTML element's content.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_cannot_close_the_script_and_parses_to_the_same_value() {
        let value = serde_json::json!({"x": "</script><!-- & \u{2028} </SCRIPT>"});
        let safe = script_safe(&value.to_string());
        assert!(!safe.to_ascii_lowercase().contains("</script"));
        assert!(!safe.contains("<!--") && !safe.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn the_assets_cannot_end_their_elements_early_nor_fetch_anything() {
        for asset in [CSS, JS] {
            let lower = asset.to_ascii_lowercase();
            assert!(!lower.contains("</script") && !lower.contains("</style"));
            for fetch in [
                "http:",
                "https:",
                "fetch(",
                "xmlhttprequest",
                "@import",
                "url(http",
            ] {
                assert!(!lower.contains(fetch) || fetch == "http:" && only_svg_namespace(&lower));
            }
        }
    }

    /// The script names the SVG namespace URI (an identifier, never fetched).
    fn only_svg_namespace(text: &str) -> bool {
        text.matches("http:").count() == text.matches("http://www.w3.org/2000/svg").count()
    }

    #[test]
    fn the_title_is_escaped() {
        assert_eq!(escape_text("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
