CREATE OR REPLACE FUNCTION runlog.claim_health_checks_at(
    worker_id text,
    integration_types text[],
    at timestamptz,
    max_checks integer DEFAULT 10
)
RETURNS TABLE (org_id uuid, integration_type text, claimed_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    IF claim_health_checks_at.at IS NULL OR NOT pg_catalog.isfinite(claim_health_checks_at.at) THEN
        PERFORM runlog._invalid('at must be a finite timestamp');
    END IF;
    RETURN QUERY
    SELECT c.org_id, c.integration_type, c.claimed_at
    FROM runlog._claim_health_checks(
        claim_health_checks_at.worker_id, claim_health_checks_at.integration_types,
        claim_health_checks_at.at, claim_health_checks_at.max_checks
    ) AS c;
END
$function$;

COMMENT ON FUNCTION runlog.claim_health_checks_at(text, text[], timestamptz, integer) IS
'claim_health_checks at a chosen time, for admins only (simulations, tests): a worker that could choose the time would push every organisation''s checks out of reach.';
