//! The scale curve: runs the fleet scenario ([`paseo_sim::scale`]: one commissioner, N devices,
//! each commissioned over PASE, CASE-established and exchanging messages) for several N and
//! prints wall time in total, per node and per turmoil step. With `--svg PATH` it also draws
//! the curve (hand-written SVG, no plotting dependency).
//!
//! Run (release: these are measurements):
//! `cargo run --release -p paseo-sim --example scale_curve -- --sizes 10,100,1000 --svg docs/scale-curve.svg`

use std::fmt::Write as _;
use std::process::ExitCode;

use paseo_core::session::SessionKind;
use paseo_sim::scale;

/// One measured fleet size.
struct Point {
    devices: usize,
    nodes: usize,
    wall_ms: f64,
    steps: u64,
    virtual_ms: u64,
    records: usize,
}

impl Point {
    fn ms_per_node(&self) -> f64 {
        self.wall_ms / self.nodes as f64
    }
    fn us_per_step(&self) -> f64 {
        self.wall_ms * 1000.0 / self.steps.max(1) as f64
    }
    fn us_per_node_step(&self) -> f64 {
        self.us_per_step() / self.nodes as f64
    }
}

fn main() -> ExitCode {
    let mut sizes = vec![10, 100, 1000];
    let mut svg = None;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--sizes", Some(v)) => {
                match v
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<usize>, _>>()
                {
                    Ok(v) if !v.is_empty() => sizes = v,
                    _ => return usage(&format!("bad --sizes {v}")),
                }
            }
            ("--svg", Some(v)) => svg = Some(v),
            ("--seed", Some(v)) => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => return usage(&format!("bad --seed {v}")),
            },
            (other, _) => return usage(&format!("unknown argument {other}")),
        }
    }
    println!(
        "devices  nodes  wall_ms  ms_per_node  steps  us_per_step  us_per_node_step  virtual_ms  records"
    );
    let mut points = Vec::new();
    for devices in sizes {
        match run(seed, devices) {
            Ok(p) => {
                println!(
                    "{:>7}  {:>5}  {:>7.0}  {:>11.2}  {:>5}  {:>11.1}  {:>16.1}  {:>10}  {:>7}",
                    p.devices,
                    p.nodes,
                    p.wall_ms,
                    p.ms_per_node(),
                    p.steps,
                    p.us_per_step(),
                    p.us_per_node_step(),
                    p.virtual_ms,
                    p.records
                );
                points.push(p);
            }
            Err(e) => {
                eprintln!("scale_curve: {devices} devices: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(path) = svg {
        if let Err(e) = std::fs::write(&path, draw(&points)) {
            eprintln!("scale_curve: writing {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "scale_curve: {why}\nusage: scale_curve [--sizes 10,100,1000] [--seed N] [--svg PATH]"
    );
    ExitCode::FAILURE
}

/// Runs one fleet and checks it worked: every action succeeded and the commissioner holds one
/// CASE session per device.
fn run(seed: u64, devices: usize) -> Result<Point, String> {
    // REAL TIME: this example measures wall time; the simulation itself never reads it.
    let started = std::time::Instant::now();
    let mut sim = scale::fleet(seed, devices).map_err(|e| e.to_string())?;
    let report = sim.run(scale::options());
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !report.is_ok() {
        return Err(format!("run not ok: {:?}", report.violations));
    }
    let failed = report.outcomes().iter().filter(|(_, o)| !o.is_ok()).count();
    if failed > 0 {
        return Err(format!("{failed} actions failed"));
    }
    let case = sim
        .node_view(scale::COMMISSIONER, |n| {
            n.sessions()
                .sessions()
                .filter(|s| s.kind() == SessionKind::Case)
                .count()
        })
        .unwrap_or(0);
    if case != devices {
        return Err(format!("{case} CASE sessions for {devices} devices"));
    }
    Ok(Point {
        devices,
        nodes: devices + 1,
        wall_ms,
        steps: report.steps,
        virtual_ms: report.ended_at.as_micros() / 1000,
        records: report.trace.records.len(),
    })
}

/// A log-x chart of wall ms per node (left axis) and wall µs per node per step (right axis)
/// against the device count: both flat when the simulator scales linearly.
fn draw(points: &[Point]) -> String {
    let (w, h) = (640.0, 400.0);
    let (left, right, top, bottom) = (70.0, 570.0, 40.0, 330.0);
    let xs: Vec<f64> = points
        .iter()
        .map(|p| (p.devices.max(1) as f64).log10())
        .collect();
    let (x0, x1) = (
        (xs.iter().copied().fold(f64::INFINITY, f64::min) + 1e-9).floor(),
        (xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) - 1e-9).ceil(),
    );
    let span = (x1 - x0).max(1.0);
    let x_at = |x: f64| left + (x - x0) / span * (right - left);
    let max_node = points.iter().map(Point::ms_per_node).fold(0.0, f64::max) * 1.25;
    let max_step = points
        .iter()
        .map(Point::us_per_node_step)
        .fold(0.0, f64::max)
        * 1.25;
    let y_at = |v: f64, max: f64| bottom - v / max.max(f64::MIN_POSITIVE) * (bottom - top);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14">paseo-sim scale: 1 commissioner + N devices (PASE, CASE, messages)</text>"#,
        w / 2.0
    );
    let _ = writeln!(
        s,
        r##"<path d="M{left} {top} V{bottom} H{right} V{top}" fill="none" stroke="#333"/>"##
    );
    let mut decade = x0;
    while decade <= x1 + 1e-9 {
        let x = x_at(decade);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{top}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            bottom + 18.0,
            10f64.powf(decade).round()
        );
        decade += 1.0;
    }
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let y = bottom - f * (bottom - top);
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{y:.1}" text-anchor="end" fill="#1f77b4">{:.1}</text><text x="{}" y="{y:.1}" fill="#d62728">{:.0}</text>"##,
            left - 6.0,
            f * max_node,
            right + 6.0,
            f * max_step
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">devices (log scale; plus one commissioner)</text>"#,
        (left + right) / 2.0,
        bottom + 40.0
    );
    let _ = writeln!(
        s,
        r##"<text x="18" y="{}" fill="#1f77b4" transform="rotate(-90 18 {})" text-anchor="middle">wall ms per node</text>"##,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" fill="#d62728" transform="rotate(90 {} {})" text-anchor="middle">wall µs per node per turmoil step</text>"##,
        w - 16.0,
        (top + bottom) / 2.0,
        w - 16.0,
        (top + bottom) / 2.0
    );
    for (color, value, max) in [
        ("#1f77b4", Point::ms_per_node as fn(&Point) -> f64, max_node),
        (
            "#d62728",
            Point::us_per_node_step as fn(&Point) -> f64,
            max_step,
        ),
    ] {
        let path: Vec<String> = points
            .iter()
            .zip(&xs)
            .map(|(p, &x)| format!("{:.1},{:.1}", x_at(x), y_at(value(p), max)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (p, &x) in points.iter().zip(&xs) {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{color}"><title>{} nodes: {:.2}</title></circle>"#,
                x_at(x),
                y_at(value(p), max),
                p.nodes,
                value(p)
            );
        }
    }
    let _ = writeln!(
        s,
        r##"<text x="{left}" y="{}" fill="#555">blue: wall ms per node (left) · red: wall µs per node per step (right)</text>"##,
        h - 12.0
    );
    s.push_str("</svg>\n");
    s
}
