-- Takes or renews the role $1 for holder $2 for $3 seconds: granted when nobody holds it, the holder
-- is us, or the holder's lease has expired. Returns a row only when granted.
insert into engine_leaders (id, holder, expires_at)
values ($1, $2, now() + make_interval(secs => $3))
on conflict (id) do update
set holder = excluded.holder,
    expires_at = excluded.expires_at,
    elected_at = case when engine_leaders.holder = excluded.holder then engine_leaders.elected_at else now() end,
    updated_at = now()
where engine_leaders.holder = excluded.holder or engine_leaders.expires_at < now()
returning holder
