-- Appends a domain audit event (routing decisions, next-step transitions).
insert into flow_events (run_id, kind, detail) values ($1, $2, $3)
