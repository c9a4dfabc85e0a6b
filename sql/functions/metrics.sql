CREATE OR REPLACE FUNCTION runlog.metrics()
RETURNS TABLE (name text, kind text, labels jsonb, value double precision)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET jit = off
AS $function$
    WITH
    finished AS (
        SELECT c.integration_type, c.status, c.failure_type, pg_catalog.sum(c.runs) AS runs
        FROM runlog.run_counters AS c
        GROUP BY c.integration_type, c.status, c.failure_type
    ),

    started AS (
        SELECT
            c.integration_type,
            pg_catalog.sum(c.starts) AS starts,
            pg_catalog.sum(c.cold_starts) AS cold_starts,
            pg_catalog.sum(c.drift_sum) AS drift_sum
        FROM runlog.start_counters AS c
        GROUP BY c.integration_type
    ),

    drift_buckets AS (
        SELECT c.integration_type, b.i, pg_catalog.sum(b.n) AS n
        FROM runlog.start_counters AS c
        CROSS JOIN LATERAL pg_catalog.unnest(c.drift_buckets) WITH ORDINALITY AS b (n, i)
        GROUP BY c.integration_type, b.i
    ),

    decisions AS (
        SELECT c.integration_type, c.decision, c.failure_type, pg_catalog.sum(c.attempts) AS attempts
        FROM runlog.retry_counters AS c
        GROUP BY c.integration_type, c.decision, c.failure_type
    ),

    -- Ready: due (a retry at run_after, as the due index orders the queue).
    queued AS (
        SELECT
            r.integration_type,
            pg_catalog.count(*) AS runs,
            pg_catalog.count(*) FILTER (WHERE r.retry_of IS NOT null) AS retries,
            pg_catalog.min(coalesce(r.run_after, r.scheduled_for, r.queued_at)) FILTER (
                WHERE coalesce(r.run_after, r.scheduled_for, r.queued_at) <= pg_catalog.now()
            ) AS oldest_ready
        FROM runlog.sync_run_log AS r
        WHERE r.status = 'queued'
        GROUP BY r.integration_type
    ),

    running AS (
        SELECT
            r.integration_type,
            pg_catalog.count(*) AS runs,
            pg_catalog.min(coalesce(r.heartbeat_at, r.started_at)) AS oldest_heartbeat
        FROM runlog.sync_run_log AS r
        WHERE r.status = 'running'
        GROUP BY r.integration_type
    ),

    schedules AS (
        SELECT
            s.integration_type,
            pg_catalog.count(*) FILTER (WHERE s.enabled) AS enabled,
            pg_catalog.count(*) FILTER (WHERE NOT s.enabled) AS paused,
            pg_catalog.count(*) FILTER (WHERE NOT s.enabled AND s.paused_at IS NOT null) AS auto_paused
        FROM runlog.sync_schedule AS s
        GROUP BY s.integration_type
    ),

    -- Dead now: an attempt that ended its period and was not re-queued since
    -- (partial indexes sync_run_log_dead_idx and sync_run_log_retry_of_idx).
    dead AS (
        SELECT d.integration_type, pg_catalog.count(*) AS periods
        FROM runlog.sync_run_log AS d
        WHERE
            d.retry_decision IN ('exhausted', 'not_retryable', 'window_closed')
            AND NOT EXISTS (SELECT FROM runlog.sync_run_log AS n WHERE n.retry_of = d.id)
        GROUP BY d.integration_type
    ),

    holds AS (
        SELECT h.integration_type, pg_catalog.count(*) AS holds
        FROM runlog.integration_holds AS h
        WHERE h.held_until > pg_catalog.now()
        GROUP BY h.integration_type
    ),

    behind AS (
        SELECT s.integration_type, pg_catalog.count(*) AS schedules
        FROM runlog.schedule_slot AS n
        INNER JOIN runlog.sync_schedule AS s ON n.schedule_id = s.id
        WHERE s.enabled AND n.next_slot < pg_catalog.now() - interval '2 minutes'
        GROUP BY s.integration_type
    ),

    health AS (
        SELECT h.integration_type, h.state, pg_catalog.count(*) AS integrations
        FROM runlog.integration_health AS h
        GROUP BY h.integration_type, h.state
    ),

    types AS (
        SELECT finished.integration_type FROM finished
        UNION
        SELECT started.integration_type FROM started
        UNION
        SELECT queued.integration_type FROM queued
        UNION
        SELECT running.integration_type FROM running
        UNION
        SELECT schedules.integration_type FROM schedules
        UNION
        SELECT health.integration_type FROM health
        UNION
        SELECT decisions.integration_type FROM decisions
        UNION
        SELECT dead.integration_type FROM dead
        UNION
        SELECT holds.integration_type FROM holds
    ),

    failure_types (failure_type) AS (
        VALUES
        ('transient_error'), ('rate_limited'), ('auth_error'), ('config_error'), ('system_error'),
        ('heartbeat_timeout')
    ),

    dead_reasons (reason) AS (
        VALUES ('exhausted'), ('not_retryable'), ('window_closed')
    ),

    terminal (status) AS (
        VALUES ('succeeded'), ('partial'), ('failed'), ('cancelled'), ('timed_out')
    ),

    bounds AS (
        SELECT b.bound, b.i
        FROM pg_catalog.unnest(runlog._drift_bounds()) WITH ORDINALITY AS b (bound, i)
        UNION ALL
        SELECT 'Infinity'::double precision, pg_catalog.cardinality(runlog._drift_bounds()) + 1
    )

    -- Runs finished: the counted series, and 0 for each status without a failure type.
    SELECT
        'pyrunlog_runs_finished_total',
        'counter',
        pg_catalog.jsonb_build_object(
            'integration_type', f.integration_type, 'status', f.status,
            'failure_type', f.failure_type
        ),
        f.runs::double precision
    FROM finished AS f
    UNION ALL
    SELECT
        'pyrunlog_runs_finished_total',
        'counter',
        pg_catalog.jsonb_build_object(
            'integration_type', t.integration_type, 'status', s.status, 'failure_type', 'none'
        ),
        0
    FROM types AS t CROSS JOIN terminal AS s
    WHERE NOT EXISTS (
        SELECT FROM finished AS f
        WHERE
            f.integration_type = t.integration_type
            AND f.status = s.status
            AND f.failure_type = 'none'
    )
    -- Retries scheduled, by the failed attempt's failure type (0 for every type not seen).
    UNION ALL
    SELECT
        'pyrunlog_retries_scheduled_total',
        'counter',
        pg_catalog.jsonb_build_object(
            'integration_type', t.integration_type, 'failure_type', f.failure_type
        ),
        coalesce(d.attempts, 0)
    FROM types AS t
    CROSS JOIN failure_types AS f
    LEFT JOIN decisions AS d
        ON
            t.integration_type = d.integration_type
            AND d.decision = 'retry'
            AND f.failure_type = d.failure_type
    -- Periods gone dead, by why (the retry decision).
    UNION ALL
    SELECT
        'pyrunlog_periods_dead_total',
        'counter',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type, 'reason', r.reason),
        coalesce((
            SELECT pg_catalog.sum(d.attempts) FROM decisions AS d
            WHERE d.integration_type = t.integration_type AND d.decision = r.reason
        ), 0)
    FROM types AS t CROSS JOIN dead_reasons AS r
    UNION ALL
    SELECT
        'pyrunlog_dead_periods',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(d.periods, 0)
    FROM types AS t LEFT JOIN dead AS d ON t.integration_type = d.integration_type
    -- Start drift of scheduled runs: a histogram (cumulative buckets, sum, count).
    UNION ALL
    SELECT
        'pyrunlog_start_drift_seconds_bucket',
        'histogram',
        pg_catalog.jsonb_build_object(
            'integration_type', t.integration_type,
            'le', CASE WHEN b.bound = 'Infinity' THEN '+Inf' ELSE b.bound::text END
        ),
        coalesce((
            SELECT pg_catalog.sum(d.n) FROM drift_buckets AS d
            WHERE d.integration_type = t.integration_type AND d.i <= b.i
        ), 0)
    FROM types AS t CROSS JOIN bounds AS b
    UNION ALL
    SELECT
        'pyrunlog_start_drift_seconds_sum',
        'histogram',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(s.drift_sum, 0)
    FROM types AS t LEFT JOIN started AS s ON t.integration_type = s.integration_type
    UNION ALL
    SELECT
        'pyrunlog_start_drift_seconds_count',
        'histogram',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(s.starts, 0)
    FROM types AS t LEFT JOIN started AS s ON t.integration_type = s.integration_type
    UNION ALL
    SELECT
        'pyrunlog_cold_starts_total',
        'counter',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(s.cold_starts, 0)
    FROM types AS t LEFT JOIN started AS s ON t.integration_type = s.integration_type
    -- The live queue.
    UNION ALL
    SELECT
        'pyrunlog_runs',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type, 'status', 'queued'),
        coalesce(q.runs, 0)
    FROM types AS t LEFT JOIN queued AS q ON t.integration_type = q.integration_type
    UNION ALL
    SELECT
        'pyrunlog_runs',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type, 'status', 'running'),
        coalesce(r.runs, 0)
    FROM types AS t LEFT JOIN running AS r ON t.integration_type = r.integration_type
    UNION ALL
    SELECT
        'pyrunlog_retries_pending',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(q.retries, 0)
    FROM types AS t LEFT JOIN queued AS q ON t.integration_type = q.integration_type
    UNION ALL
    SELECT
        'pyrunlog_oldest_ready_queued_age_seconds',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(pg_catalog.date_part('epoch', pg_catalog.now() - q.oldest_ready), 0)
    FROM types AS t LEFT JOIN queued AS q ON t.integration_type = q.integration_type
    UNION ALL
    SELECT
        'pyrunlog_oldest_running_heartbeat_age_seconds',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(pg_catalog.date_part('epoch', pg_catalog.now() - r.oldest_heartbeat), 0)
    FROM types AS t LEFT JOIN running AS r ON t.integration_type = r.integration_type
    -- Schedules and the tick.
    UNION ALL
    SELECT
        'pyrunlog_schedules_' || st.state,
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(CASE st.state WHEN 'enabled' THEN s.enabled ELSE s.paused END, 0)
    FROM types AS t
    CROSS JOIN (VALUES ('enabled'), ('paused')) AS st (state)
    LEFT JOIN schedules AS s ON t.integration_type = s.integration_type
    UNION ALL
    SELECT
        'pyrunlog_schedules_auto_paused',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(s.auto_paused, 0)
    FROM types AS t LEFT JOIN schedules AS s ON t.integration_type = s.integration_type
    UNION ALL
    SELECT
        'pyrunlog_schedules_behind',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(b.schedules, 0)
    FROM types AS t LEFT JOIN behind AS b ON t.integration_type = b.integration_type
    UNION ALL
    SELECT
        'pyrunlog_tick_last_success_timestamp_seconds',
        'gauge',
        '{}'::jsonb,
        coalesce(pg_catalog.date_part('epoch', s.last_tick_at), 0)
    FROM runlog.scheduler_state AS s
    -- External API health.
    UNION ALL
    SELECT
        'pyrunlog_integrations_' || st.state,
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(h.integrations, 0)
    FROM types AS t
    CROSS JOIN (VALUES ('unknown'), ('healthy'), ('unhealthy')) AS st (state)
    LEFT JOIN health AS h ON t.integration_type = h.integration_type AND st.state = h.state
    UNION ALL
    SELECT
        'pyrunlog_rate_limit_holds',
        'gauge',
        pg_catalog.jsonb_build_object('integration_type', t.integration_type),
        coalesce(h.holds, 0)
    FROM types AS t LEFT JOIN holds AS h ON t.integration_type = h.integration_type
    -- Workers: distinct worker_id of running runs with a heartbeat within the timeout.
    UNION ALL
    SELECT
        'pyrunlog_workers_alive',
        'gauge',
        '{}'::jsonb,
        (
            SELECT pg_catalog.count(DISTINCT r.worker_id)
            FROM runlog.sync_run_log AS r
            WHERE
                r.status = 'running'
                AND coalesce(r.heartbeat_at, r.started_at) > pg_catalog.now() - s.heartbeat_timeout
        )
    FROM runlog.settings AS s
$function$;

COMMENT ON FUNCTION runlog.metrics() IS
'Every pyrunlog metric as rows (name, kind, labels, value) for Prometheus: counters that survive retention (runs finished, retries scheduled, periods gone dead, drift, cold starts), the live queue and pending retries, dead periods, schedules (auto-paused too), the tick, API health, rate-limit holds and live workers. No organisation label; series of every known integration_type appear, as 0 when empty. See docs/observability.md.';
