CREATE OR REPLACE VIEW runlog.sync_periods
WITH (security_invoker = true) AS
-- The column order is the view's contract (CREATE OR REPLACE VIEW keeps it).
SELECT  -- noqa: ST06
    p.org_id,
    p.integration_type,
    p.idempotency_key,
    l.scheduled_for,
    p.attempts,
    l.id AS last_run_id,
    l.status AS last_status,
    -- retry_at only while a retry is pending, dead_because only when dead
    CASE WHEN l.status = 'queued' THEN l.run_after END AS retry_at,
    f.failure_type AS last_failure_type,
    f.error_message AS last_error,
    CASE
        WHEN l.status NOT IN ('succeeded', 'partial', 'running', 'queued') THEN f.retry_decision
    END AS dead_because,
    p.first_attempt_at,
    p.last_attempt_at,
    CASE
        WHEN l.status IN ('succeeded', 'partial') THEN 'succeeded'
        WHEN l.status = 'running' THEN 'running'
        WHEN l.status = 'queued' THEN 'retry_pending'
        ELSE 'dead'
    END AS state
FROM (
    SELECT
        r.org_id,
        r.integration_type,
        r.idempotency_key,
        count(*) AS attempts,
        min(r.started_at) AS first_attempt_at,
        max(r.started_at) AS last_attempt_at,
        max(r.id) AS last_id
    FROM runlog.sync_run_log AS r
    WHERE r.idempotency_key IS NOT null
    GROUP BY r.org_id, r.integration_type, r.idempotency_key
    -- a period is listed once its first attempt started
    HAVING count(r.started_at) > 0
) AS p
INNER JOIN runlog.sync_run_log AS l ON p.last_id = l.id
LEFT JOIN LATERAL (
    SELECT
        e.failure_type,
        e.error_message,
        e.retry_decision
    FROM runlog.sync_run_log AS e
    WHERE
        e.org_id = p.org_id
        AND e.idempotency_key = p.idempotency_key
        AND e.status IN ('failed', 'timed_out', 'cancelled')
    ORDER BY e.id DESC
    LIMIT 1
) AS f ON true;

COMMENT ON VIEW runlog.sync_periods IS
'One row per period (organisation, integration, idempotency key) once its first attempt started: state succeeded (the last attempt succeeded or partial), running, retry_pending (the next attempt is queued, due at retry_at) or dead (the last attempt failed, timed out or was cancelled and nothing is queued: retry_period re-queues it); attempts, the last failure and, only when dead, why the period died (dead_because; retry_at is set only while retry_pending). Readers see their own organisation.';

GRANT SELECT ON runlog.sync_periods TO runlog_reader, runlog_worker, runlog_admin;
