-- 0008_retries: failed periods are retried, classified and surfaced.
--
-- Adds to runlog.sync_run_log the failure type of a failed attempt, its
-- attempt number and the attempt it retries, when a queued retry falls due
-- (run_after) and by when it must have started (run_before), how many
-- attempts of the retry budget it uses (counted_attempt) and what was decided
-- when it ended (retry_decision); the queue index now orders by the due time
-- coalesce(run_after, scheduled_for, queued_at). Adds runlog.retry_policy (per
-- integration type, with per-organisation overrides, '*' the defaults),
-- runlog.integration_holds (a rate limit holds a whole organisation's
-- integration), the auto-pause settings and the schedule columns they need.
-- The functions (fail_run, retry_period, resume_schedule, the view
-- sync_periods) are repeatable files; see docs/retries.md.
--
-- Idempotent like 0001: running it twice leaves the catalog unchanged.

-- Attempts --------------------------------------------------------------------------

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS failure_type text
CONSTRAINT sync_run_log_failure_type_check CHECK (
    failure_type IS NULL
    OR failure_type IN (
        'transient_error', 'rate_limited', 'auth_error', 'config_error', 'system_error',
        'heartbeat_timeout'
    )
    AND status IN ('failed', 'timed_out')
);

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 1
CONSTRAINT sync_run_log_attempt_check CHECK (attempt >= 1);

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS retry_of bigint
CONSTRAINT sync_run_log_retry_of_check
CHECK ((retry_of IS NULL) = (attempt = 1) AND (retry_of IS NULL OR retry_of < id));

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS counted_attempt integer NOT NULL DEFAULT 1
CONSTRAINT sync_run_log_counted_attempt_check CHECK (counted_attempt BETWEEN 1 AND attempt);

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS run_after timestamptz;

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS run_before timestamptz;

ALTER TABLE runlog.sync_run_log
ADD COLUMN IF NOT EXISTS retry_decision text
CONSTRAINT sync_run_log_retry_decision_check CHECK (
    retry_decision IS NULL
    OR retry_decision IN ('retry', 'exhausted', 'not_retryable', 'window_closed', 'no_period')
    AND status IN ('failed', 'timed_out', 'cancelled')
);

COMMENT ON COLUMN runlog.sync_run_log.failure_type IS
'Why a failed or timed-out attempt failed: transient_error, rate_limited, auth_error, config_error, system_error or heartbeat_timeout; NULL otherwise (and on rows from before 0008).';
COMMENT ON COLUMN runlog.sync_run_log.attempt IS
'The attempt number within its period: 1, 2, ... without gaps.';
COMMENT ON COLUMN runlog.sync_run_log.retry_of IS
'The previous attempt of the same period (NULL for attempt 1).';
COMMENT ON COLUMN runlog.sync_run_log.counted_attempt IS
'The attempt as counted against the retry policy''s max_attempts: rate-limited attempts do not count (up to 10 in a row), and an operator''s retry_period starts again at 1.';
COMMENT ON COLUMN runlog.sync_run_log.run_after IS
'A queued retry is not claimed before this time (the backoff or Retry-After).';
COMMENT ON COLUMN runlog.sync_run_log.run_before IS
'A queued retry that has not started by this time (the schedule''s next slot) is superseded: cancelled with retry_decision window_closed.';
COMMENT ON COLUMN runlog.sync_run_log.retry_decision IS
'What was decided when the attempt ended unsuccessfully: retry, or why the period is dead (exhausted, not_retryable, window_closed, no_period: a run without an idempotency key is no period and is not retried).';

-- The queue in due order: a retry falls due at run_after, so 100,000 pending
-- retries lie past now() in the index and claim_next never reads them.
CREATE INDEX IF NOT EXISTS sync_run_log_due_idx
ON runlog.sync_run_log ((coalesce(run_after, scheduled_for, queued_at)), id)
WHERE status = 'queued';
COMMENT ON INDEX runlog.sync_run_log_due_idx IS
'Serves claim_next: queued runs in the order they fall due (a retry at run_after).';

DROP INDEX IF EXISTS runlog.sync_run_log_queue_idx;

COMMENT ON COLUMN runlog.settings.max_attempts IS
'Unused since 0008: runlog.retry_policy.max_attempts decides how often a period runs.';

-- Retry policy -------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.retry_policy (
    integration_type text NOT NULL
    CONSTRAINT retry_policy_integration_type_check
    CHECK (integration_type = '*' OR integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    org_id uuid,
    max_attempts integer NOT NULL DEFAULT 4
    CONSTRAINT retry_policy_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 100),
    initial_delay interval NOT NULL DEFAULT '30 seconds'
    CONSTRAINT retry_policy_initial_delay_check
    CHECK (initial_delay BETWEEN interval '1 second' AND interval '1 day'),
    backoff_factor numeric NOT NULL DEFAULT 3
    CONSTRAINT retry_policy_backoff_factor_check CHECK (backoff_factor BETWEEN 1 AND 10),
    max_delay interval NOT NULL DEFAULT '30 minutes'
    CONSTRAINT retry_policy_max_delay_check CHECK (max_delay BETWEEN interval '1 second' AND interval '7 days'),
    jitter numeric NOT NULL DEFAULT 0.1
    CONSTRAINT retry_policy_jitter_check CHECK (jitter BETWEEN 0 AND 0.5),
    max_retry_after interval NOT NULL DEFAULT '1 hour'
    CONSTRAINT retry_policy_max_retry_after_check
    CHECK (max_retry_after BETWEEN interval '1 second' AND interval '1 day'),
    never_retry text[] NOT NULL DEFAULT '{auth_error,config_error}'
    CONSTRAINT retry_policy_never_retry_check CHECK (
        never_retry <@ ARRAY[
            'transient_error', 'rate_limited', 'auth_error', 'config_error', 'system_error',
            'heartbeat_timeout'
        ]
    ),
    retry_past_next_slot boolean NOT NULL DEFAULT FALSE,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT retry_policy_key UNIQUE NULLS NOT DISTINCT (integration_type, org_id),
    CONSTRAINT retry_policy_default_for_all_check CHECK (integration_type <> '*' OR org_id IS NULL)
);

INSERT INTO runlog.retry_policy (integration_type) VALUES ('*')
ON CONFLICT ON CONSTRAINT retry_policy_key DO NOTHING;

COMMENT ON TABLE runlog.retry_policy IS
'How failed periods are retried. The row for one organisation''s integration wins over the row for its integration type (org_id NULL), which wins over the row ''*'' (the defaults). runlog_admin may INSERT, UPDATE and DELETE rows (CHECKs validate). Without a ''*'' row (deleted) the built-in defaults, the column defaults, hold.';
COMMENT ON COLUMN runlog.retry_policy.integration_type IS
'The integration type, or ''*'' for the defaults of every type.';
COMMENT ON COLUMN runlog.retry_policy.org_id IS
'NULL: for every organisation; else an override for this organisation.';
COMMENT ON COLUMN runlog.retry_policy.max_attempts IS
'Counted attempts per period (rate-limited attempts are not counted, up to 10 in a row); 1 means never retry.';
COMMENT ON COLUMN runlog.retry_policy.initial_delay IS
'The delay before the second attempt.';
COMMENT ON COLUMN runlog.retry_policy.backoff_factor IS
'Each further delay is this many times the previous one.';
COMMENT ON COLUMN runlog.retry_policy.max_delay IS
'No backoff delay is longer than this (the exponent is capped too, so nothing overflows).';
COMMENT ON COLUMN runlog.retry_policy.jitter IS
'Each backoff delay is multiplied by a random factor in [1 - jitter, 1 + jitter].';
COMMENT ON COLUMN runlog.retry_policy.max_retry_after IS
'The cap of a server''s Retry-After: a rate-limited attempt waits min(Retry-After, this), and at least initial_delay.';
COMMENT ON COLUMN runlog.retry_policy.never_retry IS
'Failure types that make a period dead at once.';
COMMENT ON COLUMN runlog.retry_policy.retry_past_next_slot IS
'false (default): a retry that cannot start before the schedule''s next slot is not made (the next period supersedes it).';

GRANT SELECT ON runlog.retry_policy TO runlog_reader, runlog_worker, runlog_admin;
GRANT INSERT, UPDATE, DELETE ON runlog.retry_policy TO runlog_admin;

DO $policies$
BEGIN
    -- Policies with org_id NULL hold for every organisation, so readers see them too.
    PERFORM runlog._tenant_policies(
        'retry_policy', 'org_id IS NULL OR org_id = (SELECT runlog.current_org_id())'
    );
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_policies AS p
        WHERE p.schemaname = 'runlog' AND p.tablename = 'retry_policy'
            AND p.policyname = 'retry_policy_admin_writes'
    ) THEN
        CREATE POLICY retry_policy_admin_writes ON runlog.retry_policy
        FOR ALL TO runlog_admin USING (true) WITH CHECK (true);
        COMMENT ON POLICY retry_policy_admin_writes ON runlog.retry_policy IS
        'Admins write every row of the retry policy.';
    END IF;
END
$policies$;

-- Rate-limit holds ---------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.integration_holds (
    org_id uuid NOT NULL,
    integration_type text NOT NULL
    CONSTRAINT integration_holds_integration_type_check
    CHECK (integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    held_until timestamptz NOT NULL,
    reason text CONSTRAINT integration_holds_reason_check CHECK (pg_catalog.char_length(reason) <= 2000),
    run_id bigint,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (org_id, integration_type)
);

COMMENT ON TABLE runlog.integration_holds IS
'Rate-limit holds: no run of an organisation''s integration is claimed before held_until (the credential is throttled, not just one run). Written by fail_run; rows past held_until are inert.';
COMMENT ON COLUMN runlog.integration_holds.held_until IS 'Nothing of this integration is claimed before this time.';
COMMENT ON COLUMN runlog.integration_holds.reason IS 'The rate-limited attempt''s error message.';
COMMENT ON COLUMN runlog.integration_holds.run_id IS 'The rate-limited attempt that set the hold.';

GRANT SELECT ON runlog.integration_holds TO runlog_reader, runlog_worker, runlog_admin;

DO $policies$
BEGIN
    PERFORM runlog._tenant_policies('integration_holds');
END
$policies$;

-- Auto-pause ---------------------------------------------------------------------------

ALTER TABLE runlog.settings
ADD COLUMN IF NOT EXISTS auto_pause_dead_periods integer NOT NULL DEFAULT 10
CONSTRAINT settings_auto_pause_dead_periods_check CHECK (auto_pause_dead_periods >= 1);

ALTER TABLE runlog.settings
ADD COLUMN IF NOT EXISTS auto_pause_without_success interval NOT NULL DEFAULT '3 days'
CONSTRAINT settings_auto_pause_without_success_check CHECK (auto_pause_without_success >= interval '0');

COMMENT ON COLUMN runlog.settings.auto_pause_dead_periods IS
'A schedule is paused when this many of its periods died in a row ...';
COMMENT ON COLUMN runlog.settings.auto_pause_without_success IS
'... and it has not succeeded for this long (since its creation when it never did).';

GRANT UPDATE (auto_pause_dead_periods, auto_pause_without_success) ON runlog.settings TO runlog_admin;

ALTER TABLE runlog.sync_schedule
ADD COLUMN IF NOT EXISTS dead_periods_in_row integer NOT NULL DEFAULT 0
CONSTRAINT sync_schedule_dead_periods_in_row_check CHECK (dead_periods_in_row >= 0);

ALTER TABLE runlog.sync_schedule
ADD COLUMN IF NOT EXISTS last_success_at timestamptz;

ALTER TABLE runlog.sync_schedule
ADD COLUMN IF NOT EXISTS paused_at timestamptz;

ALTER TABLE runlog.sync_schedule
ADD COLUMN IF NOT EXISTS paused_reason text
CONSTRAINT sync_schedule_paused_reason_check CHECK (pg_catalog.char_length(paused_reason) <= 2000);

COMMENT ON COLUMN runlog.sync_schedule.dead_periods_in_row IS
'Periods of this integration that died since its last success.';
COMMENT ON COLUMN runlog.sync_schedule.last_success_at IS
'When a run of this integration last ended succeeded or partial.';
COMMENT ON COLUMN runlog.sync_schedule.paused_at IS
'When the schedule was paused automatically (it is then disabled); cleared by resume_schedule.';
COMMENT ON COLUMN runlog.sync_schedule.paused_reason IS
'Why the schedule was paused automatically.';

-- _period_died now names the period and its dying attempt (a period dies once).
DROP FUNCTION IF EXISTS runlog._period_died(uuid, text);

INSERT INTO runlog.schema_migrations (version, name)
VALUES (8, 'retries')
ON CONFLICT (version) DO NOTHING;
