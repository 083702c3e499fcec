-- Expires a request that is still requested and past its deadline.
update approvals
set state = 'expired', decided_at = now(), updated_at = now()
where id = $1 and state = 'requested' and expires_at <= now()
returning *
