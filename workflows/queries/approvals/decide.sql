-- The one winning answer: only a requested, unexpired request is decided ($2 approved or denied).
update approvals
set state = $2, decided_by = $3, decision = $4, decided_at = now(), updated_at = now()
where id = $1 and state = 'requested' and expires_at > now()
returning *
