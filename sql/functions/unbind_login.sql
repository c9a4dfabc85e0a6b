CREATE OR REPLACE FUNCTION runlog.unbind_login(login name)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    DELETE FROM runlog.org_logins AS l
    USING pg_catalog.pg_roles AS r
    WHERE r.rolname = unbind_login.login AND l.login = r.oid;
    RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION runlog.unbind_login(name) IS
'Removes the binding of a login (see bind_login); it then acts through its claim again. True when there was one.';
