//! The live event stream of a run (SSE): events arrive while connected, a reconnect with
//! `Last-Event-ID` resumes without losing or repeating any, and the stream ends with the run.

use std::time::Duration;

use axum::body::Body;
use futures::StreamExt;
use serde_json::json;
use tower::ServiceExt;
use workflows::store::flow_event;

use crate::support::*;

/// An open event stream.
struct Stream {
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Stream {
    async fn open(p: &TestPlatform, run: uuid::Uuid, token: &str, last: Option<i64>) -> Stream {
        let mut req = axum::http::Request::get(format!("/api/v1/staff/runs/{run}/events"))
            .header("authorization", format!("Bearer {token}"));
        if let Some(last) = last {
            req = req.header("last-event-id", last.to_string());
        }
        let response = p
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The next event's (id, kind), or none when the stream ends.
    async fn next(&mut self) -> Option<(i64, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                };
                match (field("id:"), field("event:")) {
                    (Some(id), Some(kind)) => return Some((id.parse().unwrap(), kind)),
                    _ => continue, // keep-alive comment
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("an event within 10 s")?;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }

    async fn take(&mut self, n: usize) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.next().await.expect("stream still open"));
        }
        out
    }
}

async fn emit(p: &TestPlatform, run: uuid::Uuid, names: &[&str]) {
    for n in names {
        flow_event::insert(&p.pool, Some(run), n, &json!({ "n": n }))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_event_stream_resumes_after_a_disconnect_without_losing_or_repeating_events() {
    // Routing only: the stage run is created and stays pending (nobody serves `stages`).
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 3, "watch me", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 3, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let token = p.token_for("owner@acme.test").await;
    let before: Vec<i64> = flow_event::list_after(&p.pool, run, 0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    emit(&p, run, &["e1", "e2", "e3"]).await;
    let mut stream = Stream::open(&p, run, &token, None).await;
    let mut seen = stream.take(before.len() + 3).await;
    emit(&p, run, &["e4", "e5", "e6"]).await;
    seen.extend(stream.take(2).await);
    // Disconnect after e5, while e6 is (maybe) in flight; e7 and e8 happen meanwhile.
    drop(stream);
    emit(&p, run, &["e7", "e8"]).await;
    let last = seen.last().unwrap().0;
    let mut resumed = Stream::open(&p, run, &token, Some(last)).await;
    seen.extend(resumed.take(3).await);
    let kinds: Vec<&str> = seen
        .iter()
        .skip(before.len())
        .map(|(_, k)| k.as_str())
        .collect();
    assert_eq!(kinds, ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    let ids: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in order, no repeats: {ids:?}"
    );
    // The stream ends once the run has ended and its last event is sent.
    p.wiring.client.cancel(run, "test over").await.unwrap();
    // Its cleanup needs a worker of its queue.
    p.start_worker(&[("stages", 2)]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Some(ev) = resumed.next().await {
        assert!(
            ev.0 > *ids.last().unwrap(),
            "no repeat after the end: {ev:?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream did not end"
        );
    }
    p.stop().await;
}
