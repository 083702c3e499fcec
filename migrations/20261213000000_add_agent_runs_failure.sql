-- Why a stage run ended without succeeding, as its cleanup recorded it (the engine run's error:
-- code and message, e.g. `github_bad_credentials: step pickup_reaction failed after 1 attempt(s):
-- add reaction eyes to acme/shop#45: github answered 401 Unauthorized: Bad credentials (with the
-- bot token)`), so the mirror names the cause even when GitHub refused the status comment.
-- Null while the run is live or after it succeeded; a retry clears it. Never holds a token.
alter table agent_runs add column failure text;
