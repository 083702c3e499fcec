-- The last heartbeat of the agent holding this token (one token per launch attempt), read by the
-- waiting stage run: an agent that beat and then fell silent for three heartbeat periods is gone.
alter table run_tokens add column last_heartbeat_at timestamptz;
