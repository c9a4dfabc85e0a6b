CREATE OR REPLACE FUNCTION runlog._apply_function_grants()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    missing text;
    unlisted text;
    grant_row record;
BEGIN
    SELECT pg_catalog.string_agg(g.signature, ', ' ORDER BY g.signature) INTO missing
    FROM runlog.function_grants AS g
    WHERE pg_catalog.to_regprocedure(g.signature) IS NULL;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'the grant table names functions that do not exist: %', missing
            USING ERRCODE = '42883',
                  HINT = 'Correct sql/grants.sql: a row per function, signature as regprocedure text.';
    END IF;
    SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1) INTO unlisted
    FROM pg_catalog.pg_proc AS p
    WHERE
        p.pronamespace = 'runlog'::regnamespace
        AND NOT EXISTS (
            SELECT FROM runlog.function_grants AS g
            WHERE pg_catalog.to_regprocedure(g.signature) = p.oid
        );
    IF unlisted IS NOT NULL THEN
        RAISE EXCEPTION 'runlog functions without a row in the grant table: %', unlisted
            USING ERRCODE = '42501',
                  HINT = 'Add a row for each to sql/grants.sql (all false for private helpers).';
    END IF;
    EXECUTE 'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA runlog'
        ' FROM PUBLIC, runlog_reader, runlog_worker, runlog_admin, runlog_monitor';
    FOR grant_row IN
        SELECT
            pg_catalog.to_regprocedure(g.signature) AS fn,
            pg_catalog.array_remove(ARRAY[
                CASE WHEN g.runlog_reader THEN 'runlog_reader' END,
                CASE WHEN g.runlog_worker THEN 'runlog_worker' END,
                CASE WHEN g.runlog_admin THEN 'runlog_admin' END,
                CASE WHEN g.runlog_monitor THEN 'runlog_monitor' END
            ], NULL) AS roles
        FROM runlog.function_grants AS g
    LOOP
        IF pg_catalog.cardinality(grant_row.roles) > 0 THEN
            EXECUTE pg_catalog.format(
                'GRANT EXECUTE ON FUNCTION %s TO %s',
                grant_row.fn,
                pg_catalog.array_to_string(grant_row.roles, ', ')
            );
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog._apply_function_grants() IS
'Makes EXECUTE on every runlog function match runlog.function_grants exactly: revokes every grant to PUBLIC and the four roles, then grants what the table lists. Raises when a row names no function or a function has no row. Run by sql/grants.sql.';
