//! The HTML viewer in a real browser: `paseo run --html` writes a page; headless Chromium
//! loads it with `#selftest` (the page then counts its arrows, clicks the first one and writes
//! what it found into `#selftest-result`), `--dump-dom` gives us that DOM, and `--screenshot`
//! saves `target/html-viewer/screenshot.png` (a CI artifact).
//!
//! The browser is `$CHROMIUM`, else `chromium` or `chromium-browser` on PATH. Without one the
//! tests print a line and pass, except under `CI=true`, where they fail. Every browser is
//! started in its own process group and the whole group is killed when it is done or after
//! a timeout, so no Chromium process outlives a test.
#![cfg(unix)]

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

fn out_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: the viewer's files go to <target>/html-viewer.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("html-viewer");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The browser, or `None` (after printing why) when the test should be skipped.
fn browser() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
        .or_else(|| on_path("chromium-browser"));
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but no Chromium: install it (apt-get install -y chromium) or set $CHROMIUM"
        );
        println!("skipped: no chromium or chromium-browser on PATH and $CHROMIUM unset");
    }
    found
}

/// Runs the browser headless on `url` with `extra` arguments; returns its stdout. Kills its
/// process group when it has exited (stray helpers) or after the timeout (then panics).
fn headless(browser: &Path, extra: &[String], url: &str) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = out_dir();
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("html-viewer-profile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("profile dir");
    let stdout_path = dir.join(format!("browser-{n}.out"));
    let stderr_path = dir.join(format!("browser-{n}.err"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-sync",
            "--disable-extensions",
            "--disable-crash-reporter",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        // Files, not pipes: a full pipe would stall the browser while we wait for it.
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("the browser starts");
    let group = child.id();
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < BROWSER_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => break None,
        }
    };
    // The browser's helpers share its process group: end them all, whatever happened.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&profile);
    let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!("the browser did not finish in {BROWSER_TIMEOUT:?}; stderr:\n{err}")
    });
    assert!(status.success(), "browser failed ({status}):\n{err}");
    std::fs::read_to_string(&stdout_path).expect("browser output")
}

/// The JSON the page's self-test wrote into `#selftest-result`, from a DOM dump.
fn selftest_result(dom: &str) -> Value {
    let start = dom
        .find("id=\"selftest-result\"")
        .and_then(|i| dom[i..].find('>').map(|j| i + j + 1))
        .unwrap_or_else(|| panic!("no #selftest-result in the DOM:\n{dom}"));
    let end = dom[start..]
        .find("</pre>")
        .map(|j| start + j)
        .expect("#selftest-result is closed");
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    assert!(!text.is_empty(), "the self-test did not run:\n{dom}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn paseo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(args)
        .env("CI", "true")
        .output()
        .expect("the paseo binary runs")
}

/// Writes the HTML and JSON-lines trace of `scenario` (at its own seed); returns their paths.
fn render(scenario: &str, name: &str, exit: i32) -> (PathBuf, Vec<Value>) {
    let dir = out_dir();
    let html = dir.join(format!("{name}.html"));
    let trace = dir.join(format!("{name}.jsonl"));
    let o = paseo(&[
        "run",
        "--quiet",
        scenario,
        "--html",
        html.to_str().expect("utf-8 path"),
        "--trace",
        trace.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(exit),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let records = std::fs::read_to_string(&trace)
        .expect("trace written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect();
    (html, records)
}

fn count(records: &[Value], f: impl Fn(&Value) -> bool) -> u64 {
    records.iter().filter(|r| f(r)).count() as u64
}

fn url(html: &Path) -> String {
    let abs = std::fs::canonicalize(html).expect("absolute path");
    format!("file://{}#selftest", abs.display())
}

#[test]
fn the_viewer_draws_every_datagram_and_shows_the_clicked_one() {
    let Some(browser) = browser() else { return };
    let (html, records) = render("scenarios/pase-lossy.yaml", "pase-lossy", 0);
    let page = std::fs::read_to_string(&html).expect("page");
    assert!(
        !page.contains("src=\"http") && !page.contains("href=\"http"),
        "the page fetches nothing"
    );

    let dom = headless(&browser, &["--dump-dom".to_owned()], &url(&html));
    let result = selftest_result(&dom);

    // One arrow per datagram sent, plus one per network duplicate.
    let sent = count(&records, |r| r["kind"] == "tx");
    let duplicated = count(&records, |r| {
        r["kind"] == "net" && r["decision"] == "duplicated by network"
    });
    let dropped = count(&records, |r| {
        r["kind"] == "net"
            && r["decision"]
                .as_str()
                .is_some_and(|d| d.starts_with("dropped"))
    });
    assert!(
        sent > 0 && dropped > 0,
        "pase-lossy sends and loses datagrams"
    );
    assert_eq!(result["arrows"], sent + duplicated, "{result}");
    assert_eq!(result["flights"], result["arrows"]);
    assert_eq!(result["fates"]["dropped"], dropped, "{result}");
    let retransmitted_and_delivered = result["fates"]["retransmitted"].as_u64().unwrap_or(0);
    let retransmissions = count(&records, |r| {
        r["kind"] == "tx"
            && r["decision"]
                .as_str()
                .is_some_and(|d| d.starts_with("retransmit"))
    });
    assert!(retransmitted_and_delivered >= 1 && retransmitted_and_delivered <= retransmissions);

    // The first arrow is the first datagram sent: its details name it.
    let first = records
        .iter()
        .find(|r| r["kind"] == "tx")
        .expect("a datagram");
    let exchange = &first["header"]["exchange"];
    let title = result["title"].as_str().expect("details title");
    assert_eq!(result["selected"], 1, "the clicked arrow is highlighted");
    assert!(
        title.contains(&format!(
            "{} \u{2192} {}",
            first["node"].as_str().expect("node"),
            first["peer"].as_str().expect("peer")
        )),
        "{title}"
    );
    assert!(
        title.contains(exchange["opcode"].as_str().expect("opcode")),
        "{title}"
    );
    let decoded = result["decoded"].as_str().expect("decoded headers");
    assert!(
        decoded.contains(&format!("exchange id: {}", exchange["exchange_id"])),
        "{decoded}"
    );
    assert!(
        decoded.contains(&format!("message counter: {}", first["header"]["counter"])),
        "{decoded}"
    );
    let details = result["details"].as_str().expect("details text");
    assert!(
        details.contains("fate") && details.contains("opcode"),
        "{details}"
    );
    // Where arrows cross, labels are moved or hidden: none overlaps another.
    assert_eq!(result["labels"]["overlapping"], 0, "{result}");
    assert!(
        result["labels"]["shown"].as_u64().is_some_and(|n| n > 0),
        "{result}"
    );
    // A passing run has nothing to jump to.
    assert_eq!(result["jump"]["enabled"], false, "{result}");
    assert_eq!(result["jump"]["text"], "no failure", "{result}");

    let shot = out_dir().join("screenshot.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".to_owned(),
        ],
        &url(&html),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let size = |at: usize| {
        png.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    assert_eq!((size(16), size(20)), (Some(1400), Some(1000)), "IHDR size");
    assert!(png.len() > 20_000, "the screenshot shows something");
}

#[test]
fn violations_and_failed_steps_are_marked_in_red() {
    let Some(browser) = browser() else { return };
    for (scenario, name, exit) in [
        ("tests/fixtures/nonce-reuse.yaml", "nonce-reuse", 1),
        ("tests/fixtures/expect-fails.yaml", "expect-fails", 2),
    ] {
        let (html, _) = render(scenario, name, exit);
        let result = selftest_result(&headless(&browser, &["--dump-dom".to_owned()], &url(&html)));
        assert!(
            result["marks"].as_u64().is_some_and(|m| m >= 1),
            "{name}: {result}"
        );
        let page = std::fs::read_to_string(&html).expect("page");
        let kind = if exit == 1 {
            "\"kind\":\"violation\""
        } else {
            "\"kind\":\"step\""
        };
        assert!(page.contains(kind), "{name}");
        // The nonce-reuse oracle names the datagram: its arrow is drawn in red.
        let red_arrows = result["violations"].as_u64().unwrap_or(0);
        assert_eq!(red_arrows >= 1, exit == 1, "{name}: {result}");
        // "jump to first failure" scrolls the earliest mark into view, highlights it and
        // selects its datagram when it has one.
        let jump = &result["jump"];
        assert_eq!(jump["enabled"], true, "{name}: {result}");
        assert_eq!(jump["current"], 1, "{name}: {result}");
        let (top, y, h) = (
            jump["scroll_top"].as_f64().expect("scroll_top"),
            jump["mark_y"].as_f64().expect("mark_y"),
            jump["view_height"].as_f64().expect("view_height"),
        );
        assert!(
            top <= y && y <= top + h,
            "{name}: mark off screen: {result}"
        );
        if let Some(flight) = jump["first_flight"].as_u64() {
            assert_eq!(jump["selected"], flight, "{name}: {result}");
        }
        assert_eq!(result["labels"]["overlapping"], 0, "{name}: {result}");
    }
}

#[test]
fn ten_nodes_scroll_under_a_fixed_time_axis() {
    let Some(browser) = browser() else { return };
    // One commissioner and ten devices: eleven lanes, many crossing arrows.
    let (html, _) = render("scenarios/multi-node-pairing.yaml", "multi-node-pairing", 0);
    let result = selftest_result(&headless(
        &browser,
        &["--dump-dom".to_owned(), "--window-size=1280,900".to_owned()],
        &url(&html),
    ));
    assert_eq!(result["lanes"], 11, "{result}");
    let lane = result["lane_width"].as_u64().expect("lane width");
    assert!((140..=230).contains(&lane), "{result}");
    // Lanes that do not fit scroll sideways; the time axis labels and lane names follow the
    // scroll so they stay in view.
    let chart = result["chart_width"].as_f64().expect("chart width");
    let view = result["timeline_width"].as_f64().expect("timeline width");
    assert!(chart > view, "eleven lanes overflow {view}px: {result}");
    let left = result["sticky"]["scroll_left"].as_f64().expect("scrolled");
    assert!(left > 0.0, "{result}");
    assert_eq!(
        result["sticky"]["axis"],
        format!("translate({left},0)"),
        "{result}"
    );
    assert_eq!(result["sticky"]["lanes"], "translate(0,0)", "{result}");
    assert_eq!(result["labels"]["overlapping"], 0, "{result}");
    assert!(
        result["labels"]["shown"].as_u64().is_some_and(|n| n > 0),
        "{result}"
    );
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    // No browser needed: `run` and `replay` of one seed write byte-identical pages.
    let dir = out_dir();
    let a = dir.join("determinism-run.html");
    let b = dir.join("determinism-replay.html");
    let ran = paseo(&[
        "run",
        "-q",
        "scenarios/pase-lossy.yaml",
        "--html",
        a.to_str().expect("utf-8"),
    ]);
    let replayed = paseo(&[
        "replay",
        "scenarios/pase-lossy.yaml",
        "--seed",
        "7",
        "--html",
        b.to_str().expect("utf-8"),
    ]);
    assert!(ran.status.success() && replayed.status.success());
    let (a, b) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert!(a == b, "run and replay of seed 7 differ");
    let other = dir.join("determinism-seed8.html");
    paseo(&[
        "replay",
        "scenarios/pase-lossy.yaml",
        "--seed",
        "8",
        "--html",
        other.to_str().expect("utf-8"),
    ]);
    assert!(
        std::fs::read(&other).expect("seed 8") != a,
        "another seed, another page"
    );
}
