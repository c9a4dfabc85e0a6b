CREATE OR REPLACE FUNCTION runlog.claim_health_checks(
    worker_id text,
    integration_types text[],
    max_checks integer DEFAULT 10
)
RETURNS TABLE (org_id uuid, integration_type text, claimed_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
BEGIN
    IF claim_health_checks.max_checks IS NULL OR claim_health_checks.max_checks NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_checks must be between 1 and 1000, got %s', claim_health_checks.max_checks)
        );
    END IF;
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    -- Claiming moves next_check_at on by the current interval: however many
    -- workers ask, and even if this one dies, nobody checks again in this window.
    RETURN QUERY
    WITH due AS (
        SELECT h.org_id, h.integration_type
        FROM runlog.integration_health AS h
        WHERE
            h.next_check_at <= pg_catalog.now()
            AND h.integration_type = ANY(claim_health_checks.integration_types)
            AND runlog.health_mode_of(h.org_id, h.integration_type) = 'active'
        ORDER BY h.next_check_at
        LIMIT claim_health_checks.max_checks
        FOR UPDATE SKIP LOCKED
    )

    UPDATE runlog.integration_health AS h
    SET
        next_check_at = pg_catalog.now() + runlog._health_interval(h.consecutive_failures, config),
        checking_by = pg_catalog.left(claim_health_checks.worker_id, 200),
        check_claimed_at = pg_catalog.now(),
        last_check_at = pg_catalog.now()
    FROM due AS d
    WHERE h.org_id = d.org_id AND h.integration_type = d.integration_type
    RETURNING h.org_id, h.integration_type, h.check_claimed_at;
END
$function$;

COMMENT ON FUNCTION runlog.claim_health_checks(text, text[], integer) IS
'Claims at the database''s now() the due active health checks of these integration types (mode active only) for one worker; each integration of each organisation at most once per interval (min 15 minutes, doubling after failures).';
