-- The state of the run's newest Owner question that has not reached the agent yet
-- (requested: unanswered; approved: answered while no agent listened), if any.
select state from approvals
where agent_run_id = $1 and kind = 'feedback' and state in ('requested', 'approved')
order by created_at desc
limit 1
