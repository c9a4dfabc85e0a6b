CREATE OR REPLACE FUNCTION runlog.current_org_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    bound uuid;
    claims text;
    org text;
BEGIN
    -- A bound login (runlog.org_logins, by session_user: SET ROLE does not
    -- change it) acts for its organisation only, whatever claim it sets.
    SELECT l.org_id INTO bound
    FROM runlog.org_logins AS l
    WHERE l.login = (
                SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = pg_catalog.session_user()
            );
    IF FOUND THEN
        RETURN bound;
    END IF;
    claims := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
    IF claims IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        org := claims::jsonb ->> 'org_id';
        RETURN org::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'request.jwt.claims is not valid: org_id must be a uuid in a JSON object'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('claims: %s', runlog._quote_value(claims));
    END;
END
$function$;

COMMENT ON FUNCTION runlog.current_org_id() IS
'The caller''s organisation: for a login bound with runlog.bind_login its bound organisation (any claim is ignored); otherwise request.jwt.claims ->> org_id (the PostgREST/Supabase claim), or NULL when no claim is set.';
