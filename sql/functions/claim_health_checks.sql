CREATE OR REPLACE FUNCTION runlog.claim_health_checks(
    worker_id text,
    integration_types text[],
    max_checks integer DEFAULT 10
)
RETURNS TABLE (org_id uuid, integration_type text, claimed_at timestamptz)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
    SELECT c.org_id, c.integration_type, c.claimed_at
    FROM runlog._claim_health_checks(
        claim_health_checks.worker_id, claim_health_checks.integration_types,
        pg_catalog.now(), claim_health_checks.max_checks
    ) AS c;
$function$;

COMMENT ON FUNCTION runlog.claim_health_checks(text, text[], integer) IS
'Claims for one worker, at the database''s now(), the due active health checks of these integration types (mode active only); each integration of each organisation at most once per interval (min 15 minutes, doubling after failures).';
