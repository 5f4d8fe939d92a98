//! The progress bar of `paseo sweep` and `paseo explore` on stderr: runs done of all, and how
//! many of them failed so far, so a long sweep says early that it is finding something. Hidden
//! when stderr is not a terminal or `CI=true` (stdout never carries it).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting runs and failures.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    failing: AtomicU64,
}

impl Progress {
    /// A bar over `total` units (`runs`, `seeds`), drawn on stderr when it is a terminal and
    /// not under `CI=true`.
    pub fn new(total: u64, unit: &str) -> Self {
        let show =
            std::io::stderr().is_terminal() && std::env::var("CI").map_or(true, |v| v != "true");
        let bar = if show {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        Self::with_bar(bar, total, unit)
    }

    /// A bar that is never drawn (it still counts).
    pub fn hidden(total: u64, unit: &str) -> Self {
        Self::with_bar(ProgressBar::hidden(), total, unit)
    }

    fn with_bar(bar: ProgressBar, total: u64, unit: &str) -> Self {
        bar.set_length(total);
        let template =
            format!("{{bar:40}} {{pos}}/{{len}} {unit}, {{msg}} {{elapsed}} (eta {{eta}})");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(Self::message(0));
        Progress {
            bar,
            failing: AtomicU64::new(0),
        }
    }

    /// One more unit done; `failed` if it failed.
    pub fn tick(&self, failed: bool) {
        if failed {
            let failing = self.failing.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(Self::message(failing));
        }
        self.bar.inc(1);
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.bar.position()
    }

    /// Failures so far.
    pub fn failing(&self) -> u64 {
        self.failing.load(Ordering::Relaxed)
    }

    /// What the bar shows after its count: `N failing`.
    pub fn message(failing: u64) -> String {
        format!("{failing} failing")
    }

    /// The text the bar shows now, without the bar and the clock: `done/total unit, N failing`.
    pub fn status(&self, unit: &str) -> String {
        format!(
            "{}/{} {unit}, {}",
            self.done(),
            self.bar.length().unwrap_or(0),
            Self::message(self.failing())
        )
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_as_they_come() {
        let p = Progress::hidden(5, "runs");
        assert_eq!(p.status("runs"), "0/5 runs, 0 failing");
        p.tick(false);
        p.tick(true);
        p.tick(true);
        assert_eq!((p.done(), p.failing()), (3, 2));
        assert_eq!(p.status("runs"), "3/5 runs, 2 failing");
        assert_eq!(p.bar.message(), "2 failing");
    }

    #[test]
    fn threads_share_one_count() {
        let p = Progress::hidden(64, "seeds");
        std::thread::scope(|s| {
            for t in 0..4 {
                let p = &p;
                s.spawn(move || (0..16).for_each(|i| p.tick((i + t) % 4 == 0)));
            }
        });
        assert_eq!((p.done(), p.failing()), (64, 16));
    }
}
