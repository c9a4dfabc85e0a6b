CREATE OR REPLACE FUNCTION runlog.health_overview(org_id uuid DEFAULT NULL)
RETURNS SETOF runlog.health_row
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(health_overview.org_id);
BEGIN
    RETURN QUERY
    WITH last AS (
        SELECT l.integration_type, l.status, l.started_at FROM runlog.last_runs(org) AS l
    ),

    kinds AS (
        SELECT h.integration_type FROM runlog.integration_health AS h WHERE h.org_id = org
        UNION
        SELECT l.integration_type FROM last AS l
    )

    SELECT
        org,
        k.integration_type,
        coalesce(h.state, 'unknown'),
        runlog.health_mode_of(org, k.integration_type),
        coalesce(h.consecutive_failures, 0),
        h.based_on,
        h.last_check_at,
        CASE WHEN runlog.health_mode_of(org, k.integration_type) = 'active' THEN h.next_check_at END,
        h.last_error,
        l.status,
        l.started_at
    FROM kinds AS k
    LEFT JOIN runlog.integration_health AS h ON h.org_id = org AND h.integration_type = k.integration_type
    LEFT JOIN last AS l ON l.integration_type = k.integration_type
    ORDER BY k.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog.health_overview(uuid) IS
'For dashboards: per integration of the organisation (default: the caller''s claim) its health, mode, next check and last run. Readers see their own organisation only.';
