-- Records a GitHub OAuth login in flight and deletes the expired ones.
with gone as (delete from oauth_logins where expires_at < now())
insert into oauth_logins (state_sha256, code_verifier, expires_at)
values ($1, $2, now() + make_interval(secs => $3))
