//! Running a scenario at one seed and judging the run: oracles (exit 1), step outcomes and
//! liveness (exit 2), internal errors (exit 4), runs that could not be judged (exit 5). The
//! exit codes of the command line are all here; README.md ("Exit codes") is their table.

use std::panic::{AssertUnwindSafe, catch_unwind};

use paseo_core::time::Instant;
use paseo_sim::{EndReason, OracleKind, Outcome, RunReport};

use crate::scenario::{AfterTimeLimit, Expected, Scenario, StepCheck};

/// Exit code: the run passed.
pub const EXIT_PASS: u8 = 0;
/// Exit code: an invariant (oracle) was violated.
pub const EXIT_INVARIANT: u8 = 1;
/// Exit code: an expectation or liveness failed.
pub const EXIT_EXPECTATION: u8 = 2;
/// Exit code: the scenario file is bad.
pub const EXIT_BAD_SCENARIO: u8 = 3;
/// Exit code: the simulator failed.
pub const EXIT_INTERNAL: u8 = 4;
/// Exit code: a run could not be judged: it was skipped (the build lacks a capability the
/// scenario requires) or the real peer it needs is not installed.
pub const EXIT_NOT_JUDGED: u8 = 5;
/// Exit code: the command line does not parse (unknown subcommand or flag, missing argument,
/// a value of the wrong type); sysexits' EX_USAGE. Clap's own default, 2, is taken.
pub const EXIT_USAGE: u8 = 64;
/// Exit code: an output file or directory the user named cannot be written; sysexits'
/// EX_CANTCREAT.
pub const EXIT_CANNOT_WRITE: u8 = 73;

/// How one run went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every oracle held and every step ended as expected.
    Pass,
    /// Not run: the build lacks these capabilities.
    Skipped(Vec<String>),
    /// An oracle fired (its violations).
    Invariant(Vec<String>),
    /// A step ended otherwise than expected, or liveness failed (what).
    Expectation(Vec<String>),
    /// The simulator itself failed.
    Internal(String),
}

impl Verdict {
    /// The process exit code for this verdict.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Pass => EXIT_PASS,
            Verdict::Skipped(_) => EXIT_NOT_JUDGED,
            Verdict::Invariant(_) => EXIT_INVARIANT,
            Verdict::Expectation(_) => EXIT_EXPECTATION,
            Verdict::Internal(_) => EXIT_INTERNAL,
        }
    }

    /// Whether the run failed (an oracle, an expectation or the simulator): neither passed
    /// nor left unjudged.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Verdict::Invariant(_) | Verdict::Expectation(_) | Verdict::Internal(_)
        )
    }

    /// One word.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Skipped(_) => "SKIP",
            Verdict::Invariant(_) => "FAIL (invariant violated)",
            Verdict::Expectation(_) => "FAIL (expectation)",
            Verdict::Internal(_) => "ERROR (internal)",
        }
    }

    /// What went wrong, one line each.
    pub fn reasons(&self) -> Vec<String> {
        match self {
            Verdict::Pass => Vec::new(),
            Verdict::Skipped(missing) => vec![format!(
                "needs {}, which this build does not have yet",
                missing.join(", ")
            )],
            Verdict::Invariant(r) | Verdict::Expectation(r) => r.clone(),
            Verdict::Internal(why) => vec![why.clone()],
        }
    }
}

/// What became of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepResult {
    /// The step.
    pub check: StepCheck,
    /// `None`: never started; `Some(None)`: started, not finished.
    pub outcome: Option<Option<Outcome>>,
    /// When it finished (virtual µs).
    pub finished_us: Option<u64>,
    /// Whether that is what the scenario expects.
    pub as_expected: bool,
    /// When the time limit ended the fault phase while this step had not finished (it went
    /// on, if at all, on the network the liveness phase healed); `None` if it finished in
    /// time.
    pub past_time_limit: Option<u64>,
}

impl StepResult {
    /// "ok", "failed: …", "not finished", "never started".
    pub fn status(&self) -> String {
        match &self.outcome {
            None => "never started".to_owned(),
            Some(None) => "not finished".to_owned(),
            Some(Some(o)) => o.describe(),
        }
    }

    /// The step list's mark: `ok` only for a step that succeeded as the scenario wants, in
    /// time. `FAIL`: not what the scenario says; `xf`: failed, as `outcome: failed` wants;
    /// `any`: did not succeed, which `outcome: any` allows; `late`: finished after the time
    /// limit, which `after_time_limit: finish` allows.
    pub fn mark(&self) -> &'static str {
        if !self.as_expected {
            return "FAIL";
        }
        if self.past_time_limit.is_some() && matches!(self.outcome, Some(Some(_))) {
            return "late";
        }
        match (&self.outcome, self.check.expected) {
            (Some(Some(o)), _) if o.is_ok() => "ok",
            (_, Expected::Failed) => "xf",
            _ => "any",
        }
    }

    /// The step as the step list and the verdict name it: its description, its label if the
    /// scenario gave one, and the outcome it allows if not `ok`.
    pub fn title(&self) -> String {
        let label = self
            .check
            .given_label()
            .map_or_else(String::new, |l| format!(" (label {l})"));
        let wanted = match self.check.expected {
            Expected::Ok => "",
            Expected::Failed => " [expected to fail]",
            Expected::Any => " [any outcome]",
        };
        format!("{}{label}{wanted}", self.check.description)
    }

    /// The outcome, when it finished (with `timed`) and whether that was after the time
    /// limit.
    pub fn status_line(&self, timed: bool) -> String {
        let at = match self.finished_us {
            Some(us) if timed => format!(" @ {} ms", Instant::from_micros(us)),
            _ => String::new(),
        };
        let late = match self.past_time_limit {
            None => String::new(),
            Some(us) => {
                let limit = Instant::from_micros(us);
                match &self.outcome {
                    Some(Some(_)) if self.as_expected => {
                        format!(", finished after time limit ({limit} ms)")
                    }
                    Some(Some(_)) => format!(
                        ", finished after time limit ({limit} ms), on the network the \
                         liveness phase healed"
                    ),
                    _ => format!(" (time limit reached at {limit} ms)"),
                }
            }
        };
        format!("{}{at}{late}", self.status())
    }

    /// One line of the step list.
    pub fn line(&self, timed: bool) -> String {
        format!(
            "{:<4} line {:>3}  {}: {}",
            self.mark(),
            self.check.line,
            self.title(),
            self.status_line(timed)
        )
    }
}

/// One run of a scenario.
#[derive(Debug)]
pub struct Run {
    /// The seed.
    pub seed: u64,
    /// The simulator's report (absent if skipped or the simulator failed).
    pub report: Option<RunReport>,
    /// Every step's result, in file order.
    pub steps: Vec<StepResult>,
    /// The verdict.
    pub verdict: Verdict,
    /// Everything a real peer printed (`peer: matterjs` scenarios).
    pub peer_log: Option<String>,
}

/// Runs `scenario` at `seed` and judges it.
pub fn run(scenario: &Scenario, seed: u64) -> Run {
    let missing = scenario.missing_capabilities();
    if !missing.is_empty() {
        return Run {
            seed,
            report: None,
            steps: Vec::new(),
            verdict: Verdict::Skipped(missing),
            peer_log: None,
        };
    }
    if scenario.runs_real_peer() {
        // The peer is stopped on every path: its handle's Drop kills it if a step panics.
        return catch_unwind(AssertUnwindSafe(|| crate::interop_run::run(scenario, seed)))
            .unwrap_or_else(|panic| {
                internal(
                    seed,
                    format!("the interop run panicked: {}", panic_text(panic.as_ref())),
                )
            });
    }
    let simulated = catch_unwind(AssertUnwindSafe(|| {
        let mut sim = scenario.simulation(seed).map_err(|e| e.to_string())?;
        Ok::<_, String>(sim.run(scenario.run_options()))
    }));
    let report = match simulated {
        Ok(Ok(report)) => report,
        Ok(Err(why)) => return internal(seed, why),
        Err(panic) => {
            let why = panic_text(panic.as_ref());
            return internal(seed, format!("the simulator panicked: {why}"));
        }
    };
    let steps = judge_steps(scenario, &report);
    let verdict = verdict(&report, &steps);
    Run {
        seed,
        report: Some(report),
        steps,
        verdict,
        peer_log: None,
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "no message".to_owned())
}

fn internal(seed: u64, why: String) -> Run {
    Run {
        seed,
        report: None,
        steps: Vec::new(),
        verdict: Verdict::Internal(why),
        peer_log: None,
    }
}

/// Each step's result, from the report's action records.
pub(crate) fn judge_steps(scenario: &Scenario, report: &RunReport) -> Vec<StepResult> {
    scenario
        .checks
        .iter()
        .map(|check| {
            let record = report.outcome_of(&check.label);
            let outcome = record.map(|r| r.outcome.clone());
            let past_time_limit = report
                .time_limit_reached
                .filter(|_| report.past_time_limit(&check.label))
                .map(|t| t.as_micros());
            let in_time =
                past_time_limit.is_none() || scenario.after_time_limit == AfterTimeLimit::Finish;
            let as_expected = in_time
                && match (&outcome, check.expected) {
                    (_, Expected::Any) => true,
                    (Some(Some(o)), Expected::Ok) => o.is_ok(),
                    (Some(Some(o)), Expected::Failed) => !o.is_ok(),
                    _ => false,
                };
            StepResult {
                check: check.clone(),
                outcome,
                finished_us: record.and_then(|r| r.finished).map(|t| t.as_micros()),
                as_expected,
                past_time_limit,
            }
        })
        .collect()
}

/// The verdict of a judged run.
pub(crate) fn verdict(report: &RunReport, steps: &[StepResult]) -> Verdict {
    if let EndReason::HostError(why) = &report.end {
        return Verdict::Internal(format!("a simulated host failed: {why}"));
    }
    let invariants: Vec<String> = report
        .violations
        .iter()
        .filter(|v| v.oracle != OracleKind::Liveness)
        .map(|v| v.to_string())
        .collect();
    if !invariants.is_empty() {
        return Verdict::Invariant(invariants);
    }
    let mut failures: Vec<String> = steps
        .iter()
        .filter(|s| !s.as_expected)
        .map(|s| {
            format!(
                "line {}: {}: {}",
                s.check.line,
                s.title(),
                s.status_line(false)
            )
        })
        .collect();
    failures.extend(
        report
            .violations
            .iter()
            .filter(|v| v.oracle == OracleKind::Liveness)
            .map(|v| v.to_string()),
    );
    if failures.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Expectation(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_has_its_own_code_and_an_unjudged_run_is_no_pass() {
        let codes = [
            Verdict::Pass.exit_code(),
            Verdict::Invariant(vec![]).exit_code(),
            Verdict::Expectation(vec![]).exit_code(),
            Verdict::Internal(String::new()).exit_code(),
            Verdict::Skipped(vec!["case".into()]).exit_code(),
        ];
        assert_eq!(
            codes,
            [
                EXIT_PASS,
                EXIT_INVARIANT,
                EXIT_EXPECTATION,
                EXIT_INTERNAL,
                EXIT_NOT_JUDGED
            ]
        );
        assert!(!Verdict::Skipped(vec![]).is_failure());
        assert!(!Verdict::Pass.is_failure());
        assert!(Verdict::Internal(String::new()).is_failure());
    }

    fn step(
        expected: Expected,
        outcome: Option<Option<Outcome>>,
        as_expected: bool,
        late: bool,
    ) -> StepResult {
        StepResult {
            check: StepCheck {
                label: "line 3".into(),
                line: 3,
                description: "wait 1ms".into(),
                expected,
            },
            outcome,
            finished_us: None,
            as_expected,
            past_time_limit: late.then_some(2_000_000),
        }
    }

    #[test]
    fn ok_is_printed_only_for_a_step_that_succeeded_in_time() {
        let ok = Some(Some(Outcome::Done));
        let failed = Some(Some(Outcome::Failed("lost".into())));
        let cases = [
            (step(Expected::Ok, ok.clone(), true, false), "ok"),
            (step(Expected::Ok, ok.clone(), false, true), "FAIL"),
            (step(Expected::Ok, ok.clone(), true, true), "late"),
            (step(Expected::Failed, failed.clone(), true, false), "xf"),
            (step(Expected::Any, failed.clone(), true, false), "any"),
            (step(Expected::Any, Some(None), true, false), "any"),
            // Allowed past the limit, but it never finished: `any` allows that, not `late`.
            (step(Expected::Any, Some(None), true, true), "any"),
            (step(Expected::Any, ok, true, false), "ok"),
            (step(Expected::Ok, failed, false, false), "FAIL"),
        ];
        for (s, mark) in cases {
            assert_eq!(s.mark(), mark, "{s:?}");
            if mark == "ok" {
                assert!(s.status().starts_with("ok"), "{s:?}");
            }
        }
    }
}
