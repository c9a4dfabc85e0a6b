CREATE OR REPLACE VIEW runlog.cold_starts
WITH (security_invoker = true) AS
SELECT
    r.id,
    r.org_id,
    r.integration_type,
    r.status,
    r.scheduled_for,
    r.started_at
FROM runlog.sync_run_log AS r
WHERE
    r.triggered_by = 'scheduler'
    AND r.scheduled_for IS NOT null
    AND r.started_at IS NOT null
    AND NOT EXISTS (
        SELECT FROM runlog.prewarm_log AS p
        WHERE
            p.org_id = r.org_id
            AND p.integration_type = r.integration_type
            AND p.slot = r.scheduled_for
            AND p.ok
            AND p.recorded_at <= r.started_at
    );

COMMENT ON VIEW runlog.cold_starts IS
'Scheduled runs that started without a successful pre-warm for their slot. Readers see their own organisation.';
