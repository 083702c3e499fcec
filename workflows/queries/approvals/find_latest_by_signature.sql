-- The newest request with this signature, in any state.
select * from approvals where signature = $1 order by created_at desc limit 1
