//! Queries on `reviews`: the reviewer's pre-review of a stage run, its verdict and the revise it
//! started.

use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// One review as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewer run.
    pub reviewer_run_id: Uuid,
    /// The reviewed stage run; none when a person asked for the review.
    pub stage_run_id: Option<Uuid>,
    /// The reviewed pull request.
    pub pull_request_number: Option<i64>,
    /// The head reviewed (a SHA, or `branch:<name>`).
    pub head: String,
    /// Round of the review ↔ revise loop, from 1.
    pub round: i32,
    /// `approve`, `changes_requested`, `comment` or `none`; none until decided.
    pub verdict: Option<String>,
    /// The reviewer's summary.
    pub summary: Option<String>,
    /// Blocking findings reported.
    pub blocking_findings: Option<i32>,
    /// The revise run a `changes_requested` verdict started.
    pub revise_run_id: Option<Uuid>,
}

impl Review {
    fn from_row(r: &PgRow) -> Self {
        Self {
            reviewer_run_id: r.get("reviewer_run_id"),
            stage_run_id: r.get("stage_run_id"),
            pull_request_number: r.get("pull_request_number"),
            head: r.get("head"),
            round: r.get("round"),
            verdict: r.get("verdict"),
            summary: r.get("summary"),
            blocking_findings: r.get("blocking_findings"),
            revise_run_id: r.get("revise_run_id"),
        }
    }
}

/// A review the gate starts.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    /// The reviewer run.
    pub reviewer_run_id: Uuid,
    /// The stage run under review.
    pub stage_run_id: Uuid,
    /// The pull request, if any.
    pub pull_request_number: Option<i64>,
    /// The head under review.
    pub head: &'a str,
    /// Its round.
    pub round: i32,
}

/// Records a review the gate started (idempotent per reviewer run).
pub async fn insert(e: impl PgExecutor<'_>, r: &NewReview<'_>) -> Result<()> {
    sqlx::query(include_str!("../../queries/reviews/insert.sql"))
        .bind(r.reviewer_run_id)
        .bind(r.stage_run_id)
        .bind(r.pull_request_number)
        .bind(r.head)
        .bind(r.round)
        .execute(e)
        .await
        .map_err(db("review::insert"))?;
    Ok(())
}

/// The round of the review that started revise run `stage_run_id`, if a review did.
pub async fn round_of_revise(e: impl PgExecutor<'_>, stage_run_id: Uuid) -> Result<Option<i32>> {
    sqlx::query_scalar(include_str!("../../queries/reviews/round_of_revise.sql"))
        .bind(stage_run_id)
        .fetch_optional(e)
        .await
        .map_err(db("review::round_of_revise"))
}

/// A reviewer's verdict to record.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    /// The reviewer run.
    pub reviewer_run_id: Uuid,
    /// The pull request it reviewed (for a review a person asked for).
    pub pull_request_number: Option<i64>,
    /// The head it reviewed (for a review a person asked for).
    pub head: &'a str,
    /// The verdict's wire name.
    pub verdict: &'a str,
    /// Its summary.
    pub summary: Option<&'a str>,
    /// Blocking findings.
    pub blocking_findings: Option<i32>,
}

/// Records the verdict (a review a person asked for gets its row now); the review as stored.
pub async fn record_verdict(e: impl PgExecutor<'_>, v: &Verdict<'_>) -> Result<Review> {
    let row = sqlx::query(include_str!("../../queries/reviews/record_verdict.sql"))
        .bind(v.reviewer_run_id)
        .bind(v.pull_request_number)
        .bind(v.head)
        .bind(v.verdict)
        .bind(v.summary)
        .bind(v.blocking_findings)
        .fetch_one(e)
        .await
        .map_err(db("review::record_verdict"))?;
    Ok(Review::from_row(&row))
}

/// Links the revise run a verdict started; false when one was linked already.
pub async fn set_revise_run(
    e: impl PgExecutor<'_>,
    reviewer_run_id: Uuid,
    revise_run_id: Uuid,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/reviews/set_revise_run.sql"))
        .bind(reviewer_run_id)
        .bind(revise_run_id)
        .execute(e)
        .await
        .map_err(db("review::set_revise_run"))?;
    Ok(done.rows_affected() > 0)
}

/// The reviewer run the gate started for `stage_run_id` (recorded in the step that started it).
pub async fn reviewer_of_stage_run(
    e: impl PgExecutor<'_>,
    stage_run_id: Uuid,
) -> Result<Option<Uuid>> {
    sqlx::query_scalar(include_str!(
        "../../queries/reviews/reviewer_of_stage_run.sql"
    ))
    .bind(stage_run_id)
    .fetch_optional(e)
    .await
    .map_err(db("review::reviewer_of_stage_run"))
}

/// One review by its reviewer run.
pub async fn get(e: impl PgExecutor<'_>, reviewer_run_id: Uuid) -> Result<Option<Review>> {
    let row = sqlx::query(include_str!("../../queries/reviews/get.sql"))
        .bind(reviewer_run_id)
        .fetch_optional(e)
        .await
        .map_err(db("review::get"))?;
    Ok(row.as_ref().map(Review::from_row))
}
