CREATE OR REPLACE FUNCTION runlog._tenant_policies(
    table_name text, reader_sees text DEFAULT 'org_id = (SELECT runlog.current_org_id())'
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    reader_policy text := _tenant_policies.table_name || '_reader_own_org';
    operator_policy text := _tenant_policies.table_name || '_operator_all';
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER TABLE runlog.%I ENABLE ROW LEVEL SECURITY', _tenant_policies.table_name
    );
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_policies AS p
        WHERE p.schemaname = 'runlog' AND p.tablename = _tenant_policies.table_name
            AND p.policyname = reader_policy
    ) THEN
        EXECUTE pg_catalog.format(
            'CREATE POLICY %I ON runlog.%I FOR SELECT TO runlog_reader USING (%s)',
            reader_policy, _tenant_policies.table_name, _tenant_policies.reader_sees
        );
        EXECUTE pg_catalog.format(
            'COMMENT ON POLICY %I ON runlog.%I IS %L', reader_policy, _tenant_policies.table_name,
            'Readers see the rows of the organisation in their request.jwt.claims org_id, nothing else.'
        );
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_policies AS p
        WHERE p.schemaname = 'runlog' AND p.tablename = _tenant_policies.table_name
            AND p.policyname = operator_policy
    ) THEN
        EXECUTE pg_catalog.format(
            'CREATE POLICY %I ON runlog.%I FOR SELECT TO runlog_worker, runlog_admin USING (true)',
            operator_policy, _tenant_policies.table_name
        );
        EXECUTE pg_catalog.format(
            'COMMENT ON POLICY %I ON runlog.%I IS %L', operator_policy, _tenant_policies.table_name,
            'Workers and admins see the rows of every organisation.'
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._tenant_policies(text, text) IS
'Enables row-level security on a runlog tenant table (one with org_id) and creates its two policies, once: readers see the rows reader_sees allows (default: their claim''s organisation), workers and admins see all. Called by migrations only.';
