CREATE OR REPLACE FUNCTION runlog._claim_health_checks(
    worker_id text,
    integration_types text[],
    at timestamptz,
    max_checks integer
)
RETURNS TABLE (org_id uuid, integration_type text, claimed_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    config runlog.settings;
BEGIN
    IF _claim_health_checks.max_checks IS NULL OR _claim_health_checks.max_checks NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_checks must be between 1 and 1000, got %s', _claim_health_checks.max_checks)
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
            h.next_check_at <= _claim_health_checks.at
            AND h.integration_type = ANY(_claim_health_checks.integration_types)
            AND runlog.health_mode_of(h.org_id, h.integration_type) = 'active'
        ORDER BY h.next_check_at
        LIMIT _claim_health_checks.max_checks
        FOR UPDATE SKIP LOCKED
    )

    UPDATE runlog.integration_health AS h
    SET
        next_check_at = _claim_health_checks.at + runlog._health_interval(h.consecutive_failures, config),
        checking_by = pg_catalog.left(_claim_health_checks.worker_id, 200),
        check_claimed_at = _claim_health_checks.at,
        last_check_at = _claim_health_checks.at
    FROM due AS d
    WHERE h.org_id = d.org_id AND h.integration_type = d.integration_type
    RETURNING h.org_id, h.integration_type, h.check_claimed_at;
END
$function$;

COMMENT ON FUNCTION runlog._claim_health_checks(text, text[], timestamptz, integer) IS
'The body of claim_health_checks (at now()) and claim_health_checks_at (admins: at a chosen time): claims due active health checks of these integration types (mode active only); each integration of each organisation at most once per interval (min 15 minutes, doubling after failures).';
