-- no-transaction
-- The audit log filtered by event kind, newest first.
create index concurrently if not exists flow_events_kind_id on flow_events (kind, id desc);
