CREATE OR REPLACE FUNCTION runlog.run_history(
    org_id uuid,
    integration_type text DEFAULT NULL,
    max_rows integer DEFAULT 50,
    before_id bigint DEFAULT NULL
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(run_history.org_id);
    below bigint := coalesce(run_history.before_id, 9223372036854775807);
BEGIN
    IF run_history.max_rows IS NULL OR run_history.max_rows NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_rows must be between 1 and 1000, got %s', run_history.max_rows)
        );
    END IF;
    IF run_history.integration_type IS NULL THEN
        RETURN QUERY
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE r.org_id = org AND r.id < below
        ORDER BY r.id DESC
        LIMIT run_history.max_rows;
    ELSE
        RETURN QUERY
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = org
            AND r.integration_type = run_history.integration_type
            AND r.id < below
        ORDER BY r.id DESC
        LIMIT run_history.max_rows;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog.run_history(uuid, text, integer, bigint) IS
'Runs of an organisation (default: the caller''s claim), newest first, optionally of one integration; page with before_id = the last id of the previous page. max_rows 1-1000.';
