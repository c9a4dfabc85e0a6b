CREATE OR REPLACE FUNCTION runlog.bind_login(login name, org_id uuid)
RETURNS runlog.org_logins
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    login_role pg_catalog.pg_roles;
    bound runlog.org_logins;
BEGIN
    IF bind_login.org_id IS NULL THEN
        PERFORM runlog._invalid('org_id must not be NULL');
    END IF;
    SELECT r.* INTO login_role FROM pg_catalog.pg_roles AS r WHERE r.rolname = bind_login.login;
    IF NOT FOUND OR NOT login_role.rolcanlogin THEN
        PERFORM runlog._invalid(
            pg_catalog.format('no LOGIN role %s', runlog._quote_value(bind_login.login)),
            'Bind a role created with LOGIN, as the tenant connects.'
        );
    END IF;
    IF login_role.rolsuper OR login_role.rolbypassrls
        OR pg_catalog.pg_has_role(bind_login.login, 'runlog_worker', 'MEMBER') THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'role %s acts for every organisation and cannot be bound to one',
                runlog._quote_value(bind_login.login)
            ),
            'Bind tenant logins that are members of runlog_reader only (not runlog_worker, runlog_admin or a superuser).'
        );
    END IF;
    -- Rows of dropped roles bind nobody (OIDs are not reused by name); tidy them.
    DELETE FROM runlog.org_logins AS l
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.oid = l.login);
    INSERT INTO runlog.org_logins AS l (login, org_id)
    VALUES (login_role.oid::regrole, bind_login.org_id)
    ON CONFLICT ON CONSTRAINT org_logins_pkey DO UPDATE
        SET org_id = excluded.org_id, bound_at = pg_catalog.now(), bound_by = excluded.bound_by
    RETURNING l.* INTO bound;
    RETURN bound;
END
$function$;

COMMENT ON FUNCTION runlog.bind_login(name, uuid) IS
'Binds a LOGIN role (a tenant''s, member of runlog_reader) to one organisation: from its next statement on it reads and requests for that organisation only, whatever request.jwt.claims or SET ROLE it uses. Binding again moves it. The binding follows the role (by OID) through ALTER ROLE ... RENAME; a dropped role''s binding binds no later role of that name. Refuses operators and superusers (22023).';
