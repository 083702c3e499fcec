-- Retention of domain rows (docs/runbook.md, "Retention"): finished stage runs with their audit
-- trail, webhook payloads (personal data) and expired run tokens are deleted or redacted by age.

-- When a delivery's payload was replaced by a redaction marker; null while it is kept.
alter table webhook_deliveries add column redacted_at timestamptz;
-- the redaction sweep reads the oldest payloads still kept
create index webhook_deliveries_unredacted on webhook_deliveries (received_at) where redacted_at is null;
-- the retention sweep deletes finished stage runs by age (their tokens, sessions, usage, approvals cascade)
create index agent_runs_finished on agent_runs (finished_at) where finished_at is not null;
-- expired and revoked run tokens are deleted by age
create index run_tokens_expires on run_tokens (expires_at);
