//! `codex-k8s runs …` as an operator runs it: the real binary against the staff API served on a
//! port over a real database. Listing pages with the printed cursor, a finished run's timeline,
//! following a live run (driven by the test's own signals and events) to its end, cancel and
//! retry, refusals with their own exit codes and messages, `--json` for scripts, and the token
//! never in any output (the CLI runs with `RUST_LOG=debug`).

use std::{path::PathBuf, process::Stdio, time::Duration};

use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
};
use uuid::Uuid;
use workers::api::staff::wire;
use workflows::store::flow_event;

use crate::{
    outcome::{api_listener, dev_run, scripted_agent, serve},
    support::*,
};

/// Bound of every wait on a run or on the CLI (CI is a loaded 2-core box).
const WAIT: Duration = Duration::from_secs(90);

/// The CLI with the API's address and a token.
fn cli(api: &str, token: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_codex-k8s"));
    c.args(args)
        .env("CK8S_API_URL", api)
        .env("CK8S_API_TOKEN", token)
        .env("RUST_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

/// What one CLI call printed and its exit code.
#[derive(Debug)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the CLI to its end; the token is never in what it printed.
async fn runs(api: &str, token: &str, args: &[&str]) -> Output {
    let out = tokio::time::timeout(WAIT, cli(api, token, args).output())
        .await
        .unwrap_or_else(|_| panic!("{args:?} did not end"))
        .expect("run codex-k8s");
    let output = Output {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !output.stdout.contains(token) && !output.stderr.contains(token),
        "{args:?} printed the token"
    );
    output
}

/// The routing-only platform (stage runs stay queued) with its API on a port.
async fn queued_platform() -> (TestPlatform, String) {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    let (listener, api) = api_listener().await;
    serve(&p, listener);
    (p, api)
}

/// A platform whose agent waits for `barrier`, then reports success (no probes, no reviewer),
/// so the test decides when it ends.
async fn driven_platform() -> (TestPlatform, String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ck8s-runs-cli-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let barrier = dir.join("release");
    let script = json!({
        "steps": [
            { "wait_file": barrier.display().to_string() },
            { "report_outcome": 0 }
        ],
        "final_message": "done when the test said so"
    });
    let (listener, api) = api_listener().await;
    let p = TestPlatform::start(Options {
        agent: Some((scripted_agent(&script), api.clone())),
        probe_every: Duration::from_secs(600),
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    serve(&p, listener);
    (p, api, barrier)
}

/// Sends the stage run an agent event, as the runner would.
async fn agent_event(p: &TestPlatform, run: Uuid, kind: &str) {
    p.wiring
        .client
        .signal(run, "agent_event", json!({ "kind": kind }), Some(kind))
        .await
        .unwrap();
}

/// Waits until the run waits for its agent, with the budget paused or not.
async fn open_wait(p: &TestPlatform, run: Uuid, pausing: bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = p.wiring.client.get_run(run).await.unwrap();
        if detail
            .waits
            .iter()
            .any(|w| w.ended_at.is_none() && w.pausing == pausing)
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no open wait (pausing {pausing}): {detail:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn note(p: &TestPlatform, run: Uuid, n: i64) {
    flow_event::insert(&p.pool, Some(run), "operator_note", &json!({ "n": n }))
        .await
        .unwrap();
}

/// A running `runs follow` and the lines it printed so far.
struct Follower {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Follower {
    fn start(api: &str, token: &str, run: Uuid) -> Self {
        let mut child = cli(api, token, &["runs", "follow", &run.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn runs follow");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The index of the first line printed that `wanted` accepts, waiting for it.
    async fn until(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> usize {
        loop {
            if let Some(i) = self.seen.iter().position(|l| wanted(l)) {
                return i;
            }
            let line = tokio::time::timeout(WAIT, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}: {:#?}", self.seen));
            match line {
                Some(line) => self.seen.push(line),
                None => panic!("follow ended before {what}: {:#?}", self.seen),
            }
        }
    }

    /// The exit code, once every line is read.
    async fn exit(mut self) -> (i32, Vec<String>) {
        while let Ok(Some(line)) = tokio::time::timeout(WAIT, self.lines.recv()).await {
            self.seen.push(line);
        }
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("follow ends with the run")
            .unwrap();
        (status.code().expect("exited"), self.seen)
    }
}

/// The table rows of `runs list` (between the header and the footer).
fn rows(stdout: &str) -> Vec<&str> {
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{stdout}");
    lines[1..lines.len() - 1].to_vec()
}

fn next_cursor(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .last()?
        .strip_prefix("next cursor: ")
        .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
}

#[tokio::test]
async fn runs_list_pages_through_every_run_with_the_cursor_it_prints() {
    let (p, api) = queued_platform().await;
    let mut started = Vec::new();
    for issue in [31, 32, 33] {
        started.push(dev_run(&p, issue).await);
    }
    let token = p.token_for("owner@acme.test").await;
    let first = runs(
        &api,
        &token,
        &["runs", "list", "--project", "acme", "--limit", "2"],
    )
    .await;
    assert_eq!(first.code, 0, "{first:?}");
    let page = rows(&first.stdout);
    assert_eq!(page.len(), 2, "{}", first.stdout);
    // Newest first: issue 33, then 32, each with its whole id, kind/stage, Issue and status.
    for (row, (run, issue)) in page.iter().zip([(started[2], 33), (started[1], 32)]) {
        assert!(row.starts_with(&run.to_string()), "{row}");
        for cell in ["stage/dev", &format!("#{issue}"), "pending"] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
    }
    let cursor = next_cursor(&first.stdout).expect("a next cursor");
    let second = runs(
        &api,
        &token,
        &[
            "runs",
            "list",
            "--project",
            "acme",
            "--limit",
            "2",
            "--cursor",
            &cursor,
        ],
    )
    .await;
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(rows(&second.stdout).len(), 1, "{}", second.stdout);
    assert!(rows(&second.stdout)[0].starts_with(&started[0].to_string()));
    assert!(
        second.stdout.ends_with("(last page)\n"),
        "{}",
        second.stdout
    );
    // The id a row starts with is what `runs show` takes.
    let pasted = rows(&first.stdout)[0]
        .split_whitespace()
        .next()
        .expect("an id")
        .to_owned();
    let shown = runs(&api, &token, &["runs", "show", &pasted]).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    // --json: the API's pages; following next_cursor reaches every run once, newest first.
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = vec!["runs", "list", "--json", "--limit", "2"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let out = runs(&api, &token, &args).await;
        assert_eq!(out.code, 0, "{out:?}");
        let page: wire::RunPage = serde_json::from_str(&out.stdout).expect("a RunPage");
        ids.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(ids, [started[2], started[1], started[0]]);
    // Filters reach the API: nothing has succeeded yet.
    let none = runs(&api, &token, &["runs", "list", "--status", "succeeded"]).await;
    assert_eq!(none.code, 0, "{none:?}");
    assert!(none.stdout.contains("(no runs)"), "{}", none.stdout);
    p.stop().await;
}

#[tokio::test]
async fn runs_show_prints_a_finished_runs_timeline_with_its_waits_paused_time_budget_and_links() {
    let (p, api, barrier) = driven_platform().await;
    let run = dev_run(&p, 42).await;
    // The agent runs; it waits for the Owner (budget paused), resumes, then finishes.
    open_wait(&p, run, false).await;
    agent_event(&p, run, "waiting_owner").await;
    open_wait(&p, run, true).await;
    agent_event(&p, run, "resumed").await;
    std::fs::write(&barrier, "").unwrap();
    let done = p.finished(run, WAIT).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    let token = p.token_for("owner@acme.test").await;
    let id = run.to_string();
    let json = runs(&api, &token, &["runs", "show", &id, "--json"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    let detail: wire::RunDetail = serde_json::from_str(&json.stdout).expect("a RunDetail");
    assert!(
        detail
            .waits
            .iter()
            .any(|w| w.pausing && w.paused_ms.is_some()),
        "{:#?}",
        detail.waits
    );
    let shown = runs(&api, &token, &["runs", "show", &id]).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    let text = &shown.stdout;
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{text}"))
            .to_owned()
    };
    assert!(
        text.starts_with(&format!("run {run}  stage/dev · acme (acme/shop) · #42")),
        "{text}"
    );
    assert!(
        line("status").contains("succeeded (engine: succeeded)"),
        "{text}"
    );
    let budget = line("budget");
    assert!(
        budget.contains("used ")
            && budget.contains(" of 10m00s, ")
            && budget.contains(" left · paused "),
        "{budget}"
    );
    // The timeline lists every journal entry in order, steps with attempts and durations, and
    // the waits for the agent with their outcome; the pausing one with its paused time.
    let timeline: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "timeline")
        .skip(2)
        .take_while(|l| l.starts_with("  "))
        .collect();
    let seqs: Vec<i64> = timeline
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    let expected: Vec<i64> = detail.steps.iter().map(|s| s.seq).collect();
    assert_eq!(seqs, expected, "{text}");
    let launch = timeline
        .iter()
        .find(|l| l.contains(" launch_agent "))
        .unwrap_or_else(|| panic!("launch_agent in\n{text}"));
    assert!(launch.contains("succeeded"), "{launch}");
    // A signal that arrived before its wait began is journaled as the step `wait:agent_event`.
    let waits: Vec<&&str> = timeline
        .iter()
        .filter(|l| l.contains(" wait  agent_event ") || l.contains(" wait  wait:agent_event "))
        .collect();
    assert!(waits.len() >= 3, "{text}");
    assert!(
        waits
            .iter()
            .any(|l| l.contains("signalled · budget paused ")),
        "{text}"
    );
    assert!(
        text.contains("\nevents\n")
            && text.contains(" timer_paused ")
            && text.contains(" succeeded\n"),
        "{text}"
    );
    assert!(
        line("issue").ends_with("https://github.com/acme/shop/issues/42"),
        "{text}"
    );
    assert!(line("tokens").contains("turn(s)"), "{text}");
    p.stop().await;
}

#[tokio::test]
async fn runs_follow_prints_a_live_runs_events_in_order_with_progress_and_exits_0_when_it_succeeds()
{
    let (p, api, barrier) = driven_platform().await;
    let run = dev_run(&p, 43).await;
    let token = p.token_for("owner@acme.test").await;
    let mut follow = Follower::start(&api, &token, run);
    let header = follow
        .until("the header", |l| {
            l.starts_with(&format!("following run {run}"))
        })
        .await;
    // The stream's catch-up: the run already waits for its agent.
    let waiting = follow
        .until("the first wait", |l| {
            l.contains(" waiting ") && l.contains("pausing=false signal=agent_event")
        })
        .await;
    note(&p, run, 1).await;
    let first = follow
        .until("the first note", |l| {
            l.contains(" operator_note ") && l.ends_with("n=1")
        })
        .await;
    agent_event(&p, run, "waiting_owner").await;
    let timer = follow
        .until("the budget's pause", |l| l.contains(" timer_paused "))
        .await;
    let paused = follow
        .until("a progress line with the budget paused", |l| {
            l.starts_with("progress  waiting")
                && l.contains("waiting for agent_event (budget paused ")
        })
        .await;
    note(&p, run, 2).await;
    let second = follow
        .until("the second note", |l| {
            l.contains(" operator_note ") && l.ends_with("n=2")
        })
        .await;
    agent_event(&p, run, "resumed").await;
    std::fs::write(&barrier, "").unwrap();
    let (code, lines) = follow.exit().await;
    assert_eq!(code, 0, "{lines:#?}");
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(&format!("run {run} succeeded after ")),
        "{lines:#?}"
    );
    assert!(
        header < waiting
            && waiting < first
            && first < timer.min(paused)
            && timer.max(paused) < second,
        "{lines:#?}"
    );
    let printed: Vec<&str> = lines
        .iter()
        .filter(|l| {
            !l.starts_with("following ")
                && !l.starts_with("progress ")
                && l.as_str() != last.as_str()
        })
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert!(printed.contains(&"timer_resumed"), "{lines:#?}");
    // --json after the end: the whole stream, one RunEvent per line, in id order.
    let json = runs(
        &api,
        &token,
        &["runs", "follow", "--json", &run.to_string()],
    )
    .await;
    assert_eq!(json.code, 0, "{json:?}");
    let events: Vec<wire::RunEvent> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one RunEvent per line"))
        .collect();
    let ids: Vec<i64> = events.iter().map(|e| e.id.expect("an event id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // The same events, in the same order, as the live follow printed, each once.
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, printed);
    assert_eq!(
        kinds.iter().filter(|k| **k == "operator_note").count(),
        2,
        "{kinds:?}"
    );
    let _ = std::fs::remove_dir_all(barrier.parent().unwrap());
    p.stop().await;
}

#[tokio::test]
async fn runs_cancel_and_retry_print_what_happened_and_refuse_with_a_conflict_when_the_state_forbids_it()
 {
    // Every agent waits for the barrier, then fails.
    let dir = std::env::temp_dir().join(format!("ck8s-runs-retry-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let barrier = dir.join("release");
    let script =
        json!({ "steps": [{ "wait_file": barrier.display().to_string() }, { "exit": 3 }] });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        probe_every: Duration::from_millis(200),
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    let (listener, api) = api_listener().await;
    serve(&p, listener);
    let token = p.token_for("owner@acme.test").await;
    let failing = dev_run(&p, 44).await;
    let cancelled = dev_run(&p, 45).await;
    // Cancel a live run: its cleanup runs, then it ends cancelled.
    let out = runs(
        &api,
        &token,
        &[
            "runs",
            "cancel",
            &cancelled.to_string(),
            "--reason",
            "operator test",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with(&format!("run {cancelled}: ")),
        "{}",
        out.stdout
    );
    let done = p.finished(cancelled, WAIT).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Cancelled,
        "{done:#?}"
    );
    // Again, as JSON: nothing left to cancel.
    let again = runs(
        &api,
        &token,
        &["runs", "cancel", &cancelled.to_string(), "--json"],
    )
    .await;
    assert_eq!(again.code, 0, "{again:?}");
    let result: wire::RunActionResult =
        serde_json::from_str(&again.stdout).expect("a RunActionResult");
    assert_eq!(
        (result.run_id, result.outcome),
        (cancelled, wire::RunActionResultOutcome::AlreadyEnded)
    );
    // A cancelled run is not retried: 409 as `title: detail`, with its own exit code.
    let refused = runs(&api, &token, &["runs", "retry", &cancelled.to_string()]).await;
    assert_eq!(refused.code, 7, "{refused:?}");
    assert!(
        refused.stderr.lines().any(|l| l.starts_with(
            "Conflict: only a parked or failed run is retried; this one is cancelled"
        )),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    // A failed run is retried from its failed step.
    std::fs::write(&barrier, "").unwrap();
    let done = p.finished(failing, WAIT).await;
    assert_eq!(done.summary.status, engine::RunStatus::Failed, "{done:#?}");
    let retried = runs(&api, &token, &["runs", "retry", &failing.to_string()]).await;
    assert_eq!(retried.code, 0, "{retried:?}");
    assert_eq!(
        retried.stdout,
        format!("run {failing}: resumed from its failed step\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
    p.stop().await;
}

#[tokio::test]
async fn refusals_print_title_and_detail_with_an_exit_code_per_status_and_never_the_token() {
    let (p, api) = queued_platform().await;
    let run = dev_run(&p, 46).await;
    let id = run.to_string();
    // A bad token: 401 (the helper checks the token is printed nowhere, even at debug level).
    let bad = "garbage-token-never-print-0123456789";
    let out = runs(&api, bad, &["runs", "show", &id]).await;
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("Unauthenticated: "))
            && out.stderr.contains("codex-k8s admin token"),
        "{}",
        out.stderr
    );
    // A well-formed token of a real user, signed by another server's keys, likewise.
    let user = workflows::store::directory::get_user_by_email(&p.pool, "owner@acme.test")
        .await
        .unwrap()
        .unwrap();
    let foreign =
        workers::api::staff::jwt::JwtKeys::generate("t", Duration::from_secs(900)).issue(user.id);
    let out = runs(&api, &foreign, &["runs", "list"]).await;
    assert_eq!(out.code, 4, "{out:?}");
    // A reader may look but not cancel: 403.
    p.add_user("reader", Some("read"), false).await;
    let reader = p.token_for("reader@acme.test").await;
    let out = runs(&api, &reader, &["runs", "show", &id]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let out = runs(&api, &reader, &["runs", "cancel", &id]).await;
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.lines().any(|l| l.starts_with("Forbidden: "))
            && out.stderr.contains("read_write"),
        "{}",
        out.stderr
    );
    // Someone outside the project does not see the run: 404, as for a run that does not exist.
    p.add_user("outsider", None, false).await;
    let outsider = p.token_for("outsider@acme.test").await;
    for (token, run) in [
        (&outsider, id.clone()),
        (&reader, Uuid::new_v4().to_string()),
    ] {
        let out = runs(&api, token, &["runs", "follow", &run]).await;
        assert_eq!(out.code, 6, "{out:?}");
        assert!(
            out.stderr.lines().any(|l| l == "Not found: run not found")
                && out.stderr.contains("no such run"),
            "{}",
            out.stderr
        );
    }
    // A bad argument is refused before any call.
    let out = runs(&api, &reader, &["runs", "list", "--status", "sleeping"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    // No token at all.
    let out = cli(&api, "unused", &["runs", "list"])
        .env_remove("CK8S_API_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CK8S_API_TOKEN is not set"));
    p.stop().await;
}
