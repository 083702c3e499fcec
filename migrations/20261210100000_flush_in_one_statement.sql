-- The completer flushes in one statement (engine/queries/completer/flush.sql). A statement reads with
-- the snapshot it started with, but it may have waited on a task row lock while a cancel committed:
-- this function reads a run's end reason with a fresh snapshot (a volatile function takes one per
-- query), so the flush reports the reason that stopped it, not the one it started with.
create function engine_end_reason_now(p_run uuid) returns text
language plpgsql volatile as $$
begin
    return (select end_reason from workflow_runs where id = p_run);
end $$;
