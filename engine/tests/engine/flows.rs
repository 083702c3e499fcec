//! Workflows used by the tests, with process-wide probes keyed by run id so parallel tests do not
//! see each other.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

/// Counts of step executions and other probes, per run.
#[derive(Default)]
pub struct Probe {
    counts: Mutex<HashMap<(Uuid, String), u32>>,
    gates: Mutex<HashMap<Uuid, Arc<Notify>>>,
}

pub static PROBE: LazyLock<Probe> = LazyLock::new(Probe::default);

impl Probe {
    pub fn hit(&self, run: Uuid, what: &str) -> u32 {
        let mut c = self.counts.lock().unwrap();
        let n = c.entry((run, what.to_owned())).or_default();
        *n += 1;
        *n
    }
    pub fn count(&self, run: Uuid, what: &str) -> u32 {
        *self
            .counts
            .lock()
            .unwrap()
            .get(&(run, what.to_owned()))
            .unwrap_or(&0)
    }
    pub fn gate(&self, run: Uuid) -> Arc<Notify> {
        self.gates.lock().unwrap().entry(run).or_default().clone()
    }
    /// Opens the gate of a run: its blocked step proceeds.
    pub fn open(&self, run: Uuid) {
        self.gate(run).notify_one();
    }
    /// Waits until the probe counted `what` at least `n` times for the run.
    pub async fn wait_for(&self, run: Uuid, what: &str, n: u32, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.count(run, what) < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "probe {what} for {run} never reached {n}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Sets a probe when dropped: shows a step future was stopped.
pub struct DropFlag(pub Uuid, pub &'static str);
impl Drop for DropFlag {
    fn drop(&mut self) {
        PROBE.hit(self.0, self.1);
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Empty {}

/// step a → sleep → step b; counts executions.
pub struct Replay;
impl Workflow for Replay {
    const KIND: &'static str = "test_replay";
    type Input = Empty;
    type Output = i64;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<i64, WorkflowError> {
        let run = ctx.run_id();
        let a: i64 = ctx
            .step("a", |_| async move {
                PROBE.hit(run, "a");
                Ok(41)
            })
            .await?;
        ctx.sleep(Duration::from_millis(300)).await;
        let b: i64 = ctx
            .step("b", |_| async move {
                PROBE.hit(run, "b");
                Ok(a + 1)
            })
            .await?;
        Ok(b)
    }
}

/// Waits for signal "go" (optional timeout, optionally pausing) and returns its payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaitInput {
    pub timeout_ms: Option<u64>,
    pub pausing: bool,
    pub waits: u32,
}
pub struct Waiter;
impl Workflow for Waiter {
    const KIND: &'static str = "test_waiter";
    type Input = WaitInput;
    type Output = Vec<Option<String>>;
    async fn run(
        &self,
        ctx: WorkflowContext,
        input: WaitInput,
    ) -> Result<Self::Output, WorkflowError> {
        let run = ctx.run_id();
        ctx.step("prepare", |_| async move {
            PROBE.hit(run, "prepare");
            Ok(())
        })
        .await?;
        let mut got = Vec::new();
        for _ in 0..input.waits.max(1) {
            let mut wait = Wait::signal("go");
            if let Some(ms) = input.timeout_ms {
                wait = wait.timeout(Duration::from_millis(ms));
            }
            if input.pausing {
                wait = wait.pausing();
            }
            got.push(match ctx.wait::<String>(wait).await? {
                WaitOutcome::Signal(s) => Some(s),
                WaitOutcome::Deadline => None,
            });
        }
        Ok(got)
    }
    async fn cleanup(&self, run: Uuid, _: WaitInput, reason: EndReason) -> Result<(), StepError> {
        PROBE.hit(run, &format!("cleanup_{}", reason.as_str()));
        Ok(())
    }
}

/// One step that blocks until its gate opens (or for ever), with a cleanup that is counted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockInput {
    /// Sleep this long inside the step instead of waiting for the gate.
    pub sleep_ms: Option<u64>,
    /// Return this (second and later attempts return "retry").
    pub tag: String,
}
pub struct Blocker;
impl Workflow for Blocker {
    const KIND: &'static str = "test_blocker";
    type Input = BlockInput;
    type Output = String;
    async fn run(&self, ctx: WorkflowContext, input: BlockInput) -> Result<String, WorkflowError> {
        let run = ctx.run_id();
        let out = ctx
            .step("work", |sc| async move {
                let n = PROBE.hit(run, "work_started");
                let _flag = DropFlag(run, "work_dropped");
                match input.sleep_ms {
                    Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                    None => PROBE.gate(run).notified().await,
                }
                std::mem::forget(_flag);
                PROBE.hit(run, "work_done");
                let _ = sc;
                Ok(if n == 1 {
                    input.tag.clone()
                } else {
                    format!("{}-retry", input.tag)
                })
            })
            .await?;
        Ok(out)
    }
    async fn cleanup(&self, run: Uuid, _: BlockInput, reason: EndReason) -> Result<(), StepError> {
        PROBE.hit(run, &format!("cleanup_{}", reason.as_str()));
        Ok(())
    }
}

/// A step that fails `fail_times` times (retryable, or terminal, or by panicking), then succeeds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FlakyInput {
    pub fail_times: u32,
    pub terminal: bool,
    pub panic: bool,
    #[serde(default)]
    pub note: String,
}
pub struct Flaky;
impl Workflow for Flaky {
    const KIND: &'static str = "test_flaky";
    type Input = FlakyInput;
    type Output = u32;
    async fn run(&self, ctx: WorkflowContext, input: FlakyInput) -> Result<u32, WorkflowError> {
        let run = ctx.run_id();
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(50),
            factor: 2.0,
            max_delay: Duration::from_millis(200),
            max_attempts: 4,
            ..RetryPolicy::default()
        };
        let n = ctx
            .step_with("flaky", policy, |sc| async move {
                let n = PROBE.hit(run, "flaky");
                assert_eq!(sc.attempt as u32, n, "attempt number is durable");
                if n <= input.fail_times {
                    if input.panic {
                        panic!("boom {n}");
                    }
                    return Err(if input.terminal {
                        StepError::terminal("bad")
                    } else {
                        StepError::retryable("again")
                    });
                }
                Ok(n)
            })
            .await?;
        Ok(n)
    }
    async fn cleanup(&self, run: Uuid, _: FlakyInput, reason: EndReason) -> Result<(), StepError> {
        PROBE.hit(run, &format!("cleanup_{}", reason.as_str()));
        Ok(())
    }
}

/// A trivial job: returns its input doubled.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Num {
    pub n: i64,
}
pub struct Double;
impl Workflow for Double {
    const KIND: &'static str = "test_double";
    type Input = Num;
    type Output = i64;
    async fn run(&self, _ctx: WorkflowContext, input: Num) -> Result<i64, WorkflowError> {
        Ok(input.n * 2)
    }
}

/// All test workflows.
pub fn registry() -> engine::Registry {
    let mut r = engine::Registry::new();
    r.register(Replay).expect("valid");
    r.register(Waiter).expect("valid");
    r.register(Blocker).expect("valid");
    r.register(Flaky).expect("valid");
    r.register(Double).expect("valid");
    r
}

/// Step "a", then a wait for "go": the code as first deployed.
pub struct Before;
impl Workflow for Before {
    const KIND: &'static str = "test_diverge";
    type Input = Empty;
    type Output = String;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<String, WorkflowError> {
        let a: String = ctx.step("a", |_| async { Ok("a".to_owned()) }).await?;
        match ctx.wait::<String>(Wait::signal("go")).await? {
            WaitOutcome::Signal(s) => Ok(format!("{a}{s}")),
            WaitOutcome::Deadline => Ok(a),
        }
    }
}

/// The same kind changed incompatibly: step "b" where the journal holds "a".
pub struct After;
impl Workflow for After {
    const KIND: &'static str = "test_diverge";
    type Input = Empty;
    type Output = String;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<String, WorkflowError> {
        let b: String = ctx.step("b", |_| async { Ok("b".to_owned()) }).await?;
        Ok(b)
    }
}

/// Three steps, then a wait: the code as first deployed.
pub struct Longer;
impl Workflow for Longer {
    const KIND: &'static str = "test_shrink";
    type Input = Empty;
    type Output = u32;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<u32, WorkflowError> {
        for name in ["a", "b", "c"] {
            ctx.step(name, |_| async { Ok(()) }).await?;
        }
        ctx.wait::<u32>(Wait::signal("go")).await?;
        Ok(3)
    }
}

/// The same kind now returning after its first step: the journal holds more than it reaches.
pub struct Shorter;
impl Workflow for Shorter {
    const KIND: &'static str = "test_shrink";
    type Input = Empty;
    type Output = u32;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<u32, WorkflowError> {
        ctx.step("a", |_| async { Ok(()) }).await?;
        Ok(1)
    }
}

/// A kind at code version 2 (workers with version 1 must not replay its runs).
pub struct Versioned;
impl Workflow for Versioned {
    const KIND: &'static str = "test_versioned";
    const VERSION: u32 = 2;
    type Input = Empty;
    type Output = u32;
    async fn run(&self, _: WorkflowContext, _: Empty) -> Result<u32, WorkflowError> {
        Ok(2)
    }
}

/// The same kind at version 1.
pub struct VersionedOld;
impl Workflow for VersionedOld {
    const KIND: &'static str = "test_versioned";
    type Input = Empty;
    type Output = u32;
    async fn run(&self, _: WorkflowContext, _: Empty) -> Result<u32, WorkflowError> {
        Ok(1)
    }
}

/// Ten steps created in order and polled in a random order (join_all over a shuffled list), twice
/// around a durable sleep: positions are taken when a step is created, so replays agree.
pub struct Fanout;
impl Workflow for Fanout {
    const KIND: &'static str = "test_fanout";
    type Input = Empty;
    type Output = Vec<u32>;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<Vec<u32>, WorkflowError> {
        let mut all = Vec::new();
        for round in 0..2u32 {
            let mut steps: Vec<_> = (0..10u32)
                .map(|i| {
                    let name = format!("s{round}-{i}");
                    let step = ctx.step(&name, move |_| async move { Ok(i) });
                    (i, step)
                })
                .collect();
            // A different polling order at every replay.
            let mut order: Vec<usize> = (0..steps.len()).collect();
            for k in (1..order.len()).rev() {
                order.swap(k, rand::random_range(0..=k));
            }
            let mut shuffled = Vec::new();
            let mut slots: Vec<Option<_>> = steps.drain(..).map(Some).collect();
            for k in order {
                shuffled.push(slots[k].take().expect("each once"));
            }
            let mut outputs: Vec<(u32, u32)> = Vec::new();
            for (i, out) in futures::future::join_all(
                shuffled
                    .into_iter()
                    .map(|(i, f)| async move { (i, f.await) }),
            )
            .await
            {
                outputs.push((i, out?));
            }
            outputs.sort();
            all.extend(outputs.into_iter().map(|(_, v)| v));
            ctx.sleep(Duration::from_millis(20)).await;
        }
        Ok(all)
    }
}

/// Panics outside any step, every time.
pub struct PanicOutside;
impl Workflow for PanicOutside {
    const KIND: &'static str = "test_panic_outside";
    type Input = Empty;
    type Output = ();
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<(), WorkflowError> {
        PROBE.hit(ctx.run_id(), "body");
        panic!("outside any step");
    }
    async fn cleanup(&self, run: Uuid, _: Empty, reason: EndReason) -> Result<(), StepError> {
        PROBE.hit(run, &format!("cleanup_{}", reason.as_str()));
        Ok(())
    }
}

/// Sleeps for `Duration::MAX`.
pub struct SleepForever;
impl Workflow for SleepForever {
    const KIND: &'static str = "test_sleep_forever";
    type Input = Empty;
    type Output = ();
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<(), WorkflowError> {
        ctx.sleep(Duration::MAX).await;
        Ok(())
    }
}

/// Its cleanup policy panics once the worker runs (it was fine when registered).
pub struct BadCleanupPolicy {
    pub armed: std::sync::atomic::AtomicBool,
}
impl Workflow for BadCleanupPolicy {
    const KIND: &'static str = "test_bad_cleanup_policy";
    type Input = Empty;
    type Output = ();
    async fn run(&self, _: WorkflowContext, _: Empty) -> Result<(), WorkflowError> {
        Err(WorkflowError::new("boom", "fails so its cleanup runs"))
    }
    async fn cleanup(&self, run: Uuid, _: Empty, reason: EndReason) -> Result<(), StepError> {
        PROBE.hit(run, &format!("cleanup_{}", reason.as_str()));
        Ok(())
    }
    fn cleanup_policy(&self) -> RetryPolicy {
        if self.armed.swap(true, std::sync::atomic::Ordering::Relaxed) {
            panic!("cleanup_policy panicked");
        }
        RetryPolicy::default()
    }
}

/// A step that hangs on its first attempt (past its 200 ms timeout) and succeeds on the second;
/// every attempt records the idempotency key it was given.
pub struct Hang;
pub static KEYS: LazyLock<Mutex<HashMap<Uuid, Vec<String>>>> = LazyLock::new(Default::default);
impl Workflow for Hang {
    const KIND: &'static str = "test_hang";
    type Input = Empty;
    type Output = i32;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<i32, WorkflowError> {
        let policy = RetryPolicy {
            timeout: Duration::from_millis(200),
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        };
        let run = ctx.run_id();
        let n = ctx
            .step_with("hang_once", policy, move |sc| async move {
                KEYS.lock()
                    .unwrap()
                    .entry(run)
                    .or_default()
                    .push(sc.idempotency_key());
                if sc.attempt == 1 {
                    let _dropped = DropFlag(run, "hang_dropped");
                    std::future::pending::<()>().await;
                }
                Ok(sc.attempt)
            })
            .await?;
        Ok(n)
    }
}

/// A step whose output holds a NUL character, which Postgres cannot store.
pub struct Nul;
impl Workflow for Nul {
    const KIND: &'static str = "test_nul";
    type Input = Empty;
    type Output = String;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<String, WorkflowError> {
        let s: String = ctx
            .step("nul", |_| async { Ok("a\u{0}b".to_owned()) })
            .await?;
        Ok(s)
    }
}

/// Sleeps 300 ms durably, then returns the recorded time.
pub struct Sleeper;
impl Workflow for Sleeper {
    const KIND: &'static str = "test_sleeper";
    type Input = Empty;
    type Output = chrono::DateTime<chrono::Utc>;
    async fn run(&self, ctx: WorkflowContext, _: Empty) -> Result<Self::Output, WorkflowError> {
        ctx.sleep(Duration::from_millis(300)).await;
        Ok(ctx.now().await)
    }
}

/// The test registry plus these kinds.
pub fn registry_with(extra: impl FnOnce(&mut engine::Registry)) -> engine::Registry {
    let mut r = registry();
    extra(&mut r);
    r
}
