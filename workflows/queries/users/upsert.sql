-- Creates or updates a user by email (admin tool and fixtures); the login is stored lowercased.
insert into users (id, email, github_login, is_platform_owner, is_platform_admin)
values ($1, $2, lower($3), $4, $5)
on conflict (email) do update set github_login = excluded.github_login,
    is_platform_owner = excluded.is_platform_owner, is_platform_admin = excluded.is_platform_admin, updated_at = now()
returning id
