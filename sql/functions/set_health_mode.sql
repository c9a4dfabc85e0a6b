CREATE OR REPLACE FUNCTION runlog.set_health_mode(
    integration_type text, mode text, org_id uuid DEFAULT NULL
)
RETURNS runlog.health_modes
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.health_modes;
    problem runlog.problem := runlog._run_args_problem(
        coalesce(set_health_mode.org_id, '00000000-0000-0000-0000-000000000000'::uuid),
        set_health_mode.integration_type, 'manual', NULL, NULL
    );
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF set_health_mode.mode IS NULL OR set_health_mode.mode NOT IN ('active', 'passive', 'disabled') THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid health mode %s', runlog._quote_value(set_health_mode.mode)),
            HINT = 'The mode is active, passive or disabled.';
    END IF;
    INSERT INTO runlog.health_modes AS m (integration_type, org_id, mode)
    VALUES (set_health_mode.integration_type, set_health_mode.org_id, set_health_mode.mode)
    ON CONFLICT ON CONSTRAINT health_modes_key DO UPDATE
        SET mode = excluded.mode, updated_at = pg_catalog.now()
    RETURNING m.* INTO saved;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.set_health_mode(text, text, uuid) IS
'Sets the health mode of an integration type (org_id NULL: for all organisations) or of one organisation''s integration. Takes effect at once: checks already due are not claimed any more.';
