-- Removes a member from a project.
delete from project_members where project_id = $1 and user_id = $2
