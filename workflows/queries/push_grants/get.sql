-- $1 token sha256
select agent_run_id, key_sha256, issued_at, expires_at
from push_grants
where token_sha256 = $1
