CREATE OR REPLACE FUNCTION runlog._require_org_access(org_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    claimed uuid;
BEGIN
    IF runlog._caller_is_operator() THEN
        RETURN;
    END IF;
    claimed := runlog.current_org_id();
    IF claimed IS NULL OR claimed <> _require_org_access.org_id THEN
        RAISE EXCEPTION 'permission denied for organisation %', _require_org_access.org_id
            USING ERRCODE = '42501',
                  HINT = CASE
                      WHEN EXISTS (
                          SELECT FROM runlog.org_logins AS l WHERE l.login = (
                              SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = pg_catalog.session_user()
                          )
                      ) THEN 'This login is bound to one organisation (bind_login) and acts for its bound organisation only.'
                      ELSE 'Readers act only for the org_id of their request.jwt.claims.'
                  END;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._require_org_access(uuid) IS
'Raises 42501 unless the caller is an operator, or its organisation (a bound login''s, else its org_id claim) is this one; the hint says which rule applied.';
