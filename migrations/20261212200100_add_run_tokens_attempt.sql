-- The launch attempt a run token was issued for: a report made with the token of an attempt
-- older than the run's latest launch is refused (that agent was replaced).
alter table run_tokens add column attempt int not null default 0 check (attempt >= 0);
