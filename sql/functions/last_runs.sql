CREATE OR REPLACE FUNCTION runlog.last_runs(org_id uuid DEFAULT NULL)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(last_runs.org_id);
BEGIN
    -- A loose index scan: one probe per integration type, however long the history.
    RETURN QUERY
    WITH RECURSIVE integration_types AS (
        (
            SELECT r.integration_type
            FROM runlog.sync_run_log AS r
            WHERE r.org_id = org
            ORDER BY r.integration_type
            LIMIT 1
        )
        UNION ALL
        SELECT (
            SELECT r.integration_type
            FROM runlog.sync_run_log AS r
            WHERE r.org_id = org AND r.integration_type > t.integration_type
            ORDER BY r.integration_type
            LIMIT 1
        )
        FROM integration_types AS t
        WHERE t.integration_type IS NOT NULL
    )

    SELECT latest.*
    FROM integration_types AS t
    CROSS JOIN LATERAL (
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = org
            AND r.integration_type = t.integration_type
            AND r.started_at IS NOT NULL
        ORDER BY r.started_at DESC NULLS LAST, r.id DESC
        LIMIT 1
    ) AS latest
    WHERE t.integration_type IS NOT NULL
    ORDER BY latest.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog.last_runs(uuid) IS
'The latest started run per integration_type of the organisation (default: the caller''s claim), ordered by integration_type. Readers see only their own organisation.';
