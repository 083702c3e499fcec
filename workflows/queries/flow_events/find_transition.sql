-- The person who confirmed a next step that added this label to this thread in the last 10 minutes:
-- the bot's own label event then counts as theirs.
select detail ->> 'actor'
from flow_events
where kind in ('next_step_executed', 'agent_labels_applied')
  and detail ->> 'repository' = lower($1)
  and (detail ->> 'thread_number')::bigint = $2
  and detail -> 'added_labels' ? $3
  and created_at > now() - interval '10 minutes'
order by id desc
limit 1
