insert into flow_events (run_id, kind, step_seq, attempt, detail) values ($1, $2, $3, $4, $5)
