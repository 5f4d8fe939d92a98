//! Sequences and parallel groups of actions: a group is an action whose children are actions
//! with their own records; it ends when its children do.

use std::collections::VecDeque;

use paseo_core::time::Instant;

use super::*;
use crate::command::{ActionId, Outcome};

/// A running group.
#[derive(Debug)]
pub(super) struct Group {
    /// Sequence: children not started yet (one runs at a time).
    waiting: VecDeque<Action>,
    /// Children started and not finished.
    running: usize,
    /// Stop at the first failure and start nothing more.
    sequential: bool,
    /// The first child failure.
    failure: Option<String>,
}

impl Simulation {
    /// Starts a group: a sequence starts its first child, a parallel group all of them.
    pub(super) fn start_group(
        &mut self,
        id: ActionId,
        children: Vec<Action>,
        sequential: bool,
        now: Instant,
    ) -> Option<Outcome> {
        if children.is_empty() {
            return Some(Outcome::Done);
        }
        self.pending.insert(id, Pending::default());
        self.groups.insert(
            id,
            Group {
                waiting: children.into(),
                running: 0,
                sequential,
                failure: None,
            },
        );
        self.advance_group(id, now);
        None
    }

    /// Starts what the group may start now, or finishes it.
    fn advance_group(&mut self, id: ActionId, now: Instant) {
        loop {
            let Some(group) = self.groups.get_mut(&id) else {
                return;
            };
            let stop = group.sequential && group.failure.is_some();
            let may_start = !stop && (!group.sequential || group.running == 0);
            let next = if may_start {
                group.waiting.pop_front()
            } else {
                None
            };
            match next {
                Some(action) => {
                    group.running += 1;
                    let child = self.allocate_action();
                    self.parents.insert(child, id);
                    // A child that finishes at once re-enters `child_finished`, which
                    // advances the group itself; then this loop finds nothing more to do.
                    self.start(child, action, now);
                }
                None => {
                    let done = group.running == 0 && (stop || group.waiting.is_empty());
                    if done {
                        let failure = group.failure.clone();
                        self.groups.remove(&id);
                        let outcome = failure.map_or(Outcome::Done, Outcome::Failed);
                        self.finish(id, now, outcome);
                    }
                    return;
                }
            }
        }
    }

    /// A child of group `parent` finished (with `failure` if it failed).
    pub(super) fn child_finished(
        &mut self,
        parent: ActionId,
        failure: Option<String>,
        at: Instant,
    ) {
        if let Some(group) = self.groups.get_mut(&parent) {
            group.running = group.running.saturating_sub(1);
            if let Some(why) = failure {
                group.failure.get_or_insert(why);
            }
            self.advance_group(parent, at);
        }
    }
}
