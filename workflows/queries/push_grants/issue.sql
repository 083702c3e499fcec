-- $1 token sha256, $2 key sha256, $3 validity in seconds: marks the grant issued, once, only for
-- the registered key; no row back means wrong key or already issued
update push_grants
set issued_at = now(), expires_at = now() + make_interval(secs => $3)
where token_sha256 = $1 and key_sha256 = $2 and issued_at is null
returning expires_at
