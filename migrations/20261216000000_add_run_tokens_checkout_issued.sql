-- The checkout credential of a launch (ADR 0027): a cluster agent's checkout init container
-- exchanges its run token, once, for the repository's read credential, before the agent starts
-- (no heartbeat yet). Set when it was handed out; a second ask is refused.
alter table run_tokens add column checkout_issued_at timestamptz;
