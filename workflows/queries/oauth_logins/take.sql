-- Uses a login's state once: returns its PKCE verifier if the state is known, unused and unexpired.
update oauth_logins
set used_at = now(), updated_at = now()
where state_sha256 = $1 and used_at is null and expires_at > now()
returning code_verifier
