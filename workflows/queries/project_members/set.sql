-- Sets a member's role and learning-mode override (null $4 keeps the override, $5 = true clears it).
insert into project_members (project_id, user_id, role, learning_mode_override)
values ($1, $2, $3, $4)
on conflict (project_id, user_id) do update
set role = excluded.role,
    learning_mode_override = case when $5 then null
                                  else coalesce(excluded.learning_mode_override, project_members.learning_mode_override) end,
    updated_at = now()
returning project_id, user_id, role, learning_mode_override
