CREATE OR REPLACE FUNCTION runlog._resolve_org(org_id uuid)
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    resolved uuid := coalesce(_resolve_org.org_id, runlog.current_org_id());
BEGIN
    IF resolved IS NULL THEN
        RAISE EXCEPTION 'org_id is required: none was given and no org_id claim is set'
            USING ERRCODE = '22023', HINT = 'Pass org_id, or set request.jwt.claims to {"org_id": "..."}.';
    END IF;
    RETURN resolved;
END
$function$;

COMMENT ON FUNCTION runlog._resolve_org(uuid) IS
'The given organisation, else the caller''s claim; raises 22023 when neither is set.';
