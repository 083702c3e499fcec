-- Binds a user's GitHub account at a staff login (the login and numeric id) and records the time.
update users
set github_login = lower($2), github_user_id = $3, last_login_at = now(), updated_at = now()
where id = $1
