//! Worker autoscaling: how many worker replicas the engine's backlog needs. Scaling up is
//! immediate (by at most `step` per decision); scaling down waits until the need stayed lower for
//! a whole cool-down and then goes to the highest need seen in that window, so a backlog that
//! comes and goes does not make the replica count flap.

use std::{collections::VecDeque, time::Duration};

/// The scaler's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalerConfig {
    /// Fewest replicas.
    pub min: u32,
    /// Most replicas.
    pub max: u32,
    /// Largest change per decision.
    pub step: u32,
    /// Ready plus in-flight tasks one replica is meant to carry.
    pub tasks_per_worker: u32,
    /// A ready task older than this asks for one more replica than the current count.
    pub max_ready_age: Duration,
    /// Time since the last change before a scale-down, and the window whose highest need a
    /// scale-down goes to.
    pub cooldown: Duration,
}

impl Default for ScalerConfig {
    fn default() -> Self {
        Self {
            min: 1,
            max: 8,
            step: 2,
            tasks_per_worker: 20,
            max_ready_age: Duration::from_secs(30),
            cooldown: Duration::from_secs(300),
        }
    }
}

/// What the engine's backlog looks like now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    /// Tasks ready to run now.
    pub ready: u64,
    /// Age of the oldest of them, in seconds.
    pub oldest_ready_age_s: f64,
    /// Tasks leased by workers now.
    pub in_flight: u64,
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The replicas the Deployment should have.
    pub desired: u32,
    /// Why, in a few words.
    pub reason: &'static str,
}

/// The scaler's memory: the last change and the needs seen in the cool-down window.
#[derive(Debug, Clone)]
pub struct Scaler {
    config: ScalerConfig,
    last_change: Option<Duration>,
    needs: VecDeque<(Duration, u32)>,
}

impl Scaler {
    /// A scaler with `config`, its limits made consistent (max ≥ min, step and tasks per worker ≥ 1).
    pub fn new(mut config: ScalerConfig) -> Self {
        config.max = config.max.max(config.min);
        config.step = config.step.max(1);
        config.tasks_per_worker = config.tasks_per_worker.max(1);
        Self {
            config,
            last_change: None,
            needs: VecDeque::new(),
        }
    }

    /// The replicas `backlog` needs, before smoothing.
    pub fn need(&self, current: u32, backlog: Backlog) -> u32 {
        let c = &self.config;
        let work = backlog.ready + backlog.in_flight;
        let mut need =
            u32::try_from(work.div_ceil(u64::from(c.tasks_per_worker))).unwrap_or(u32::MAX);
        if backlog.ready > 0 && backlog.oldest_ready_age_s > c.max_ready_age.as_secs_f64() {
            need = need.max(current.saturating_add(1));
        }
        need.clamp(c.min, c.max)
    }

    /// Decides at `now` (time since any fixed origin) for a Deployment at `current` replicas.
    pub fn decide(&mut self, now: Duration, current: u32, backlog: Backlog) -> Decision {
        let c = self.config.clone();
        let need = self.need(current, backlog);
        self.needs.push_back((now, need));
        while self
            .needs
            .front()
            .is_some_and(|(at, _)| now.saturating_sub(*at) > c.cooldown)
        {
            self.needs.pop_front();
        }
        let (desired, reason) = if current < c.min {
            (c.min, "below the minimum")
        } else if current > c.max {
            (c.max, "above the maximum")
        } else if need > current {
            (current + (need - current).min(c.step), "backlog grows")
        } else if need < current {
            let cooled = self
                .last_change
                .is_none_or(|at| now.saturating_sub(at) >= c.cooldown);
            let window_need = self.needs.iter().map(|(_, n)| *n).max().unwrap_or(need);
            if !cooled || window_need >= current {
                (current, "cooling down")
            } else {
                (
                    current - (current - window_need).min(c.step),
                    "backlog shrank for a whole cool-down",
                )
            }
        } else {
            (current, "steady")
        };
        if desired != current {
            self.last_change = Some(now);
        }
        Decision { desired, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(ready: u64, age: f64, in_flight: u64) -> Backlog {
        Backlog {
            ready,
            oldest_ready_age_s: age,
            in_flight,
        }
    }

    /// The scripted backlog of the note: a burst, a plateau, a dip that comes back, and
    /// the drain; one decision every 30 s.
    pub(crate) fn scripted() -> Vec<(u64, Backlog)> {
        vec![
            (0, backlog(0, 0.0, 0)),
            (30, backlog(120, 5.0, 10)),
            (60, backlog(100, 40.0, 40)),
            (90, backlog(60, 20.0, 80)),
            (120, backlog(10, 2.0, 100)),
            (150, backlog(0, 0.0, 30)),
            (180, backlog(90, 3.0, 20)),
            (210, backlog(0, 0.0, 20)),
            (240, backlog(0, 0.0, 0)),
            (540, backlog(0, 0.0, 0)),
            (570, backlog(0, 0.0, 0)),
            (900, backlog(0, 0.0, 0)),
            (930, backlog(0, 0.0, 0)),
        ]
    }

    #[test]
    fn the_scripted_backlog_scales_up_by_steps_and_down_only_after_a_quiet_cooldown() {
        let mut scaler = Scaler::new(ScalerConfig::default());
        let mut replicas = 1;
        let mut seen = Vec::new();
        for (t, b) in scripted() {
            let d = scaler.decide(Duration::from_secs(t), replicas, b);
            seen.push((t, d.desired, d.reason));
            replicas = d.desired;
        }
        let desired: Vec<u32> = seen.iter().map(|s| s.1).collect();
        assert_eq!(
            desired,
            vec![1, 3, 5, 7, 7, 7, 7, 7, 7, 5, 5, 3, 3],
            "{seen:#?}"
        );
        // No flapping: a scale-down comes a whole cool-down after the change before it.
        let changes: Vec<(u64, u32)> = seen
            .windows(2)
            .filter(|w| w[0].1 != w[1].1)
            .map(|w| (w[1].0, w[1].1))
            .collect();
        for pair in changes.windows(2) {
            let ((was_at, was), (at, now)) = (pair[0], pair[1]);
            assert!(now > was || at - was_at >= 300, "{changes:?}");
        }
    }

    #[test]
    fn a_stale_ready_task_asks_for_one_more_and_limits_hold() {
        let mut scaler = Scaler::new(ScalerConfig {
            max: 3,
            ..ScalerConfig::default()
        });
        let d = scaler.decide(Duration::ZERO, 1, backlog(1, 31.0, 0));
        assert_eq!((d.desired, d.reason), (2, "backlog grows"));
        let d = scaler.decide(Duration::from_secs(1), 3, backlog(10_000, 999.0, 0));
        assert_eq!(d.desired, 3, "never above the maximum");
        let d = scaler.decide(Duration::from_secs(2), 0, backlog(0, 0.0, 0));
        assert_eq!((d.desired, d.reason), (1, "below the minimum"));
    }
}
