CREATE OR REPLACE FUNCTION runlog.current_org_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    claims text := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
    org text;
BEGIN
    IF claims IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        org := claims::jsonb ->> 'org_id';
        RETURN org::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'request.jwt.claims is not valid: org_id must be a uuid in a JSON object'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('claims: %s', pg_catalog.left(claims, 200));
    END;
END
$function$;

COMMENT ON FUNCTION runlog.current_org_id() IS
'The caller''s organisation: request.jwt.claims ->> org_id (the PostgREST/Supabase claim), or NULL when no claim is set.';
