-- Records the outcome of an approved request ($2 applied or failed).
update approvals
set state = $2, result = $3, updated_at = now()
where id = $1 and state = 'approved'
returning *
