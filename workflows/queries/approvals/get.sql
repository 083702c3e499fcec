-- One request.
select * from approvals where id = $1
