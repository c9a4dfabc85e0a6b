CREATE OR REPLACE FUNCTION runlog.claim_next(
    worker_id text,
    integration_types text[] DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
-- Walk the queue index in due order and stop at the first claimable run. With
-- stale statistics (a burst of runs just enqueued) the planner would otherwise
-- sort the whole queue on every claim.
SET enable_sort = off
AS $function$
DECLARE
    candidate runlog.sync_run_log;
    claimed runlog.sync_run_log;
    busy text[] := '{}';
BEGIN
    IF pg_catalog.char_length(claim_next.worker_id) IS NULL
        OR pg_catalog.char_length(claim_next.worker_id) NOT BETWEEN 1 AND 200 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid worker_id %s', runlog._quote_value(claim_next.worker_id)),
            'worker_id is 1 to 200 characters.'
        );
    END IF;
    LOOP
        SELECT q.* INTO candidate
        FROM runlog.sync_run_log AS q
        WHERE
            q.status = 'queued'
            AND coalesce(q.run_after, q.scheduled_for, q.queued_at) <= pg_catalog.now()
            AND (
                claim_next.integration_types IS NULL
                OR q.integration_type = ANY(claim_next.integration_types)
            )
            AND q.org_id::text || '/' || q.integration_type <> ALL(busy)
            AND NOT EXISTS (
                SELECT FROM runlog.sync_run_log AS r
                WHERE
                    r.org_id = q.org_id
                    AND r.integration_type = q.integration_type
                    AND r.status = 'running'
            )
            -- a rate limit holds the whole integration of the organisation
            AND NOT EXISTS (
                SELECT FROM runlog.integration_holds AS h
                WHERE
                    h.org_id = q.org_id
                    AND h.integration_type = q.integration_type
                    AND h.held_until > pg_catalog.now()
            )
            -- an active check found the API down: wait for one that finds it up
            AND NOT EXISTS (
                SELECT FROM runlog.integration_health AS h
                WHERE
                    h.org_id = q.org_id
                    AND h.integration_type = q.integration_type
                    AND h.state = 'unhealthy'
                    AND h.based_on = 'active_check'
                    AND runlog.health_mode_of(h.org_id, h.integration_type) = 'active'
            )
        ORDER BY coalesce(q.run_after, q.scheduled_for, q.queued_at), q.id
        LIMIT 1
        FOR UPDATE OF q SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        IF candidate.run_before <= pg_catalog.now() THEN
            -- The schedule's next slot has come: the next period supersedes this retry.
            UPDATE runlog.sync_run_log AS r
            SET
                status = 'cancelled',
                ended_at = pg_catalog.now(),
                error_message = pg_catalog.format(
                    'superseded: the schedule''s next slot (%s) came before this retry could start',
                    candidate.run_before
                ),
                retry_decision = 'window_closed'
            WHERE r.id = candidate.id;
            PERFORM runlog._period_died(
                candidate.org_id, candidate.integration_type, candidate.idempotency_key, candidate.id
            );
            CONTINUE;
        END IF;
        BEGIN
            UPDATE runlog.sync_run_log AS r
            SET
                status = 'running',
                started_at = pg_catalog.now(),
                heartbeat_at = pg_catalog.now(),
                worker_id = claim_next.worker_id
            WHERE r.id = candidate.id
            RETURNING r.* INTO claimed;
            RETURN claimed;
        EXCEPTION WHEN unique_violation THEN
            -- Another worker started this integration meanwhile; look further.
            busy := busy || (candidate.org_id::text || '/' || candidate.integration_type);
        END;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.claim_next(text, text[]) IS
'Claims the oldest due queued run (a retry falls due at run_after) whose integration is idle, not held by a rate limit and not found down by an active health check (optionally only of these integration types), and marks it running for this worker; NULL when there is none. A retry whose run_before has passed is cancelled instead (window_closed). Safe under any number of concurrent workers (SKIP LOCKED).';
