CREATE OR REPLACE VIEW runlog.drift_alerts
WITH (security_invoker = true) AS
SELECT
    r.id,
    r.org_id,
    r.integration_type,
    r.status,
    r.scheduled_for,
    r.started_at,
    r.drift_seconds,
    pg_catalog.date_part('epoch', s.drift_threshold) AS threshold_seconds
FROM runlog.sync_run_log AS r
CROSS JOIN runlog.settings AS s
WHERE
    r.attempt = 1  -- drift is the scheduler's lateness; retries wait on purpose
    AND r.drift_seconds > pg_catalog.date_part('epoch', s.drift_threshold);

COMMENT ON VIEW runlog.drift_alerts IS
'Scheduled runs whose first attempt (attempt 1; retries wait on purpose) started later after their slot than settings.drift_threshold (default 5 minutes). Readers see their own organisation.';
