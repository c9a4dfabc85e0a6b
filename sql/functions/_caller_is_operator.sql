CREATE OR REPLACE FUNCTION runlog._caller_is_operator()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- Inside SECURITY DEFINER functions current_user is the owner; the role
    -- setting still names the role the caller acts as (SET ROLE, PostgREST).
    -- A login bound to one organisation is never an operator.
    SELECT
        NOT EXISTS (
            SELECT FROM runlog.org_logins AS l WHERE l.login = (
                SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = pg_catalog.session_user()
            )
        )
        AND pg_catalog.pg_has_role(
            coalesce(
                nullif(pg_catalog.current_setting('role'), 'none'),
                pg_catalog.session_user()::text
            )::name,
            'runlog_worker',
            'MEMBER'
        );
$function$;

COMMENT ON FUNCTION runlog._caller_is_operator() IS
'True when the calling role is a member of runlog_worker (or runlog_admin) and the session''s login is not bound to an organisation: it may act for every organisation.';
