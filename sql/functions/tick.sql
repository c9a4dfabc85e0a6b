CREATE OR REPLACE FUNCTION runlog.tick(at timestamptz DEFAULT pg_catalog.now(), ticked_by text DEFAULT 'pg_cron')
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET jit = off
AS $function$
DECLARE
    config runlog.settings;
    taken bigint [];
    enqueued integer;
    waited integer;
    busy_id bigint;
    -- Tick waits for held schedules (and held slot keys) 5 s in all, not 5 s
    -- each: a few held keys must not hold every organisation's tick.
    wait_until timestamptz;
    -- schedules still held once the 5 s are spent: skipped, one warning
    left_held integer := 0;
    queued_kinds text [];
BEGIN
    IF tick.at IS NULL OR NOT pg_catalog.isfinite(tick.at) THEN
        PERFORM runlog._invalid('at must be a finite timestamp');
    END IF;
    -- One tick at a time: a second tick waits here for the first to commit,
    -- then sees the schedules it advanced. The row is owner-only: no other
    -- role can hold it. Waiting up to 50 s keeps a second tick from failing.
    PERFORM pg_catalog.set_config('lock_timeout', '50s', true);
    PERFORM FROM runlog.scheduler_state AS t FOR UPDATE;
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;

    -- Set-based: every due schedule nobody else holds, in one statement
    -- that locks its narrow schedule_slot row, the one the schedule functions
    -- lock too while they change a schedule.
    -- First as a plain INSERT; if a live run already has one of the slots'
    -- keys (an operator ran a period ahead of time), again skipping live keys.
    -- A run inserted with a slot's key through request_sync, start_run or
    -- retry_period holds that schedule's slot row, so this statement skips
    -- it. Only a run inserted otherwise (plain SQL by the owner, or a retry
    -- fail_run queues in an open transaction) makes the INSERT wait for its
    -- key: after a second the set-based step is undone and every schedule is
    -- tried on its own below, so one held key delays one slot, not every
    -- organisation's.
    BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
        BEGIN
            SELECT e.enqueued, e.kinds, e.taken INTO enqueued, queued_kinds, taken
            FROM runlog._enqueue_due(NULL, tick.at, config, false) AS e;
        EXCEPTION WHEN unique_violation THEN
            SELECT e.enqueued, e.kinds, e.taken INTO enqueued, queued_kinds, taken
            FROM runlog._enqueue_due(NULL, tick.at, config, true) AS e;
        END;
    EXCEPTION WHEN lock_not_available OR deadlock_detected OR unique_violation THEN
        enqueued := 0;
        queued_kinds := '{}';
        taken := '{}';  -- undone, locks too: each due schedule is tried below
    END;
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    wait_until := pg_catalog.clock_timestamp() + interval '5 seconds';

    -- The few schedules an operator's open transaction holds (set_schedule,
    -- enable/disable/delete), or whose slot's key it holds: wait for each
    -- rather than skip it, because a skipped slot is lost under catch-up
    -- latest and none. Once 5 s are spent, a schedule still held is skipped
    -- at once and left for the next tick (one warning counts them); one
    -- nobody holds needs no wait.
    FOR busy_id IN
        SELECT n.schedule_id
        FROM runlog.schedule_slot AS n
        INNER JOIN runlog.sync_schedule AS d ON n.schedule_id = d.id
        WHERE
            d.enabled AND n.next_slot <= tick.at
            -- a hashed subplan: one probe per schedule still due
            AND n.schedule_id NOT IN (SELECT t.id FROM pg_catalog.unnest(taken) AS t (id))
        ORDER BY n.schedule_id
    LOOP
        -- A second try when a run with the slot's key committed meanwhile:
        -- the next look sees it and does not enqueue the slot again.
        FOR try IN 1..2 LOOP
            PERFORM pg_catalog.set_config(
                'lock_timeout',
                GREATEST(
                    10, pg_catalog.ceil(1000 * pg_catalog.date_part('epoch', wait_until - pg_catalog.clock_timestamp()))
                )::bigint::text || 'ms',
                true
            );
            BEGIN
                IF pg_catalog.clock_timestamp() < wait_until THEN
                    PERFORM FROM runlog.schedule_slot AS n
                    INNER JOIN runlog.sync_schedule AS d ON n.schedule_id = d.id
                    WHERE n.schedule_id = busy_id AND d.enabled AND n.next_slot <= tick.at
                    FOR NO KEY UPDATE OF n;
                ELSE
                    PERFORM FROM runlog.schedule_slot AS n
                    INNER JOIN runlog.sync_schedule AS d ON n.schedule_id = d.id
                    WHERE n.schedule_id = busy_id AND d.enabled AND n.next_slot <= tick.at
                    FOR NO KEY UPDATE OF n SKIP LOCKED;
                    IF NOT FOUND THEN
                        -- held, unless it stopped being due meanwhile
                        left_held := left_held + (
                            SELECT count(*)::integer FROM runlog.schedule_slot AS n
                            INNER JOIN runlog.sync_schedule AS d ON n.schedule_id = d.id
                            WHERE n.schedule_id = busy_id AND d.enabled AND n.next_slot <= tick.at
                        );
                        EXIT;
                    END IF;
                END IF;
                IF FOUND THEN
                    SELECT e.enqueued, queued_kinds || e.kinds INTO waited, queued_kinds
                    FROM runlog._enqueue_due(busy_id, tick.at, config, true) AS e;
                    enqueued := enqueued + waited;
                END IF;
                EXIT;
            EXCEPTION
                WHEN lock_not_available THEN
                    RAISE WARNING 'tick: schedule % (or a run with one of its slot keys) stayed locked by another transaction; its slot waits for the next tick',
                        busy_id;
                    EXIT;
                -- An operator's transaction holds this schedule and waits for
                -- one tick holds: give up this wait (the operator's edit goes
                -- through), not the whole tick.
                WHEN deadlock_detected THEN
                    RAISE WARNING 'tick: schedule % is held by a transaction that waits for tick; its slot waits for the next tick',
                        busy_id;
                    EXIT;
                WHEN unique_violation THEN
                    IF try = 2 THEN
                        RAISE WARNING 'tick: runs with the slot''s key of schedule % kept appearing; its slot waits for the next tick',
                            busy_id;
                    END IF;
            END;
        END LOOP;
    END LOOP;
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    IF left_held > 0 THEN
        RAISE WARNING 'tick: skipped % more schedules still locked by other transactions after waiting 5 s; their slots wait for the next tick',
            left_held;
    END IF;

    UPDATE runlog.scheduler_state AS t
    SET last_tick_at = pg_catalog.now(), last_tick_by = pg_catalog.left(tick.ticked_by, 200);

    -- One wake-up per integration type, not one per run.
    PERFORM pg_catalog.pg_notify('runlog_queued', k.kind)
    FROM (SELECT DISTINCT u.kind FROM pg_catalog.unnest(queued_kinds) AS u (kind)) AS k;
    RETURN enqueued;
END
$function$;

COMMENT ON FUNCTION runlog.tick(timestamptz, text) IS
'Enqueues every slot that has come (status queued, triggered_by scheduler, idempotency key per slot) following each schedule''s catch-up policy, set-based; one tick at a time, waiting for schedule rows an open transaction holds instead of skipping them, so no slot is lost or enqueued twice; a schedule (or its slot''s idempotency key) another transaction still holds when tick has waited 5 s in all, or holds while waiting for tick (a deadlock), waits for the next tick with a warning, and the other schedules are enqueued. Returns the number of runs enqueued.';
