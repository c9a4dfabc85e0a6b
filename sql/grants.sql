-- The grant table: which runlog role may execute which runlog function.
--
-- One row per function of schema runlog, written here and nowhere else.
-- pyrunlog migrate applies this file after every change to a repeatable file:
-- it replaces runlog.function_grants with these rows, and
-- runlog._apply_function_grants() then revokes every EXECUTE grant on runlog
-- functions from PUBLIC and the three roles and grants exactly these. A row
-- that names no function, or a function without a row, fails the deploy.
-- runlog_admin is a member of runlog_worker: every worker function is an
-- admin function too. Private helpers (_name) and trigger functions run inside
-- SECURITY DEFINER callers and need no grant, except the few that
-- SECURITY INVOKER read functions call.
--
-- Columns: signature (regprocedure text), runlog_reader, runlog_worker, runlog_admin;
-- runlog_monitor (0009) is set by the UPDATE below the rows.

DELETE FROM runlog.function_grants;

-- noqa: disable=LT01,LT02,LT05
INSERT INTO runlog.function_grants (signature, runlog_reader, runlog_worker, runlog_admin)
VALUES
    ('runlog._alert_if_late()',                                                                      false, false, false),
    ('runlog._apply_function_grants()',                                                              false, false, false),
    ('runlog._caller_is_operator()',                                                                 false, false, false),
    ('runlog._check_counts(bigint, bigint)',                                                         false, false, false),
    ('runlog._check_run_args(uuid, text, text, timestamptz, text)',                                  false, false, false),
    ('runlog._check_time_zone(text)',                                                                false, false, false),
    ('runlog._claim_health_checks(text, text[], timestamptz, integer)',                              false, false, false),
    ('runlog._count_finished_run()',                                                                 false, false, false),
    ('runlog._count_retry_decision()',                                                               false, false, false),
    ('runlog._count_started_run()',                                                                  false, false, false),
    ('runlog._counts_problem(bigint, bigint)',                                                       false, false, false),
    ('runlog._cron_access_problem()',                                                                false, false, false),
    ('runlog._cron_day_matches(runlog.cron_spec, date)',                                             false, false, false),
    ('runlog._cron_field(text, text, integer, integer, text[])',                                     false, false, false),
    ('runlog._drift_bounds()',                                                                       false, false, false),
    ('runlog._enqueue_due(bigint, timestamptz, runlog.settings, boolean)',                           false, false, false),
    ('runlog._fail_attempt(bigint, text, text, text, interval, bigint, bigint)',                     false, false, false),
    ('runlog._health_from_outcome()',                                                                false, false, false),
    ('runlog._health_interval(integer, runlog.settings)',                                            false, false, false),
    ('runlog._hold_slot_of_key(uuid, text)',                                                         false, false, false),
    ('runlog._insert_run(uuid, text, text, text, timestamptz, text)',                                false, false, false),
    ('runlog._invalid(text, text)',                                                                  true,  true,  true),
    ('runlog._next_slot(runlog.cron_spec, text, timestamptz)',                                       false, false, false),
    ('runlog._no_schedule(uuid, text)',                                                              false, false, false),
    ('runlog._not_running_problem(bigint)',                                                          false, false, false),
    ('runlog._notify_health(uuid, text, text, text, text, text)',                                    false, false, false),
    ('runlog._parse_cron(text)',                                                                     false, false, false),
    ('runlog._period_died(uuid, text, text, bigint)',                                                false, false, false),
    ('runlog._period_succeeded(uuid, text)',                                                         false, false, false),
    ('runlog._plan_slots(runlog.cron_spec, text, text, timestamptz, timestamptz, integer, interval)',false, false, false),
    ('runlog._problem(text, text, text)',                                                            false, false, false),
    ('runlog._queued_manual_run(uuid, text)',                                                        false, false, false),
    ('runlog._quote_value(text)',                                                                    false, false, false),
    ('runlog._raise_not_running(bigint)',                                                            false, false, false),
    ('runlog._require_org_access(uuid)',                                                             false, false, false),
    ('runlog._resolve_org(uuid)',                                                                    true,  true,  true),
    ('runlog._retry_delay(runlog.retry_policy, integer)',                                            false, false, false),
    ('runlog._retry_policy(uuid, text)',                                                             false, false, false),
    ('runlog._run_args_problem(uuid, text, text, timestamptz, text)',                                false, false, false),
    ('runlog._schedule_summary(runlog.sync_schedule, runlog.schedule_slot)',                         false, false, false),
    ('runlog._tenant_policies(text, text)',                                                          false, false, false),
    ('runlog._time_zone_problem(text)',                                                              false, false, false),
    ('runlog._watch_scheduled_integration()',                                                        false, false, false),
    ('runlog.bind_login(name, uuid)',                                                                false, false, true),
    ('runlog.cancel_run(bigint, text)',                                                              false, true,  true),
    ('runlog.claim_health_checks(text, text[], integer)',                                            false, true,  true),
    ('runlog.claim_health_checks_at(text, text[], timestamptz, integer)',                            false, false, true),
    ('runlog.claim_next(text, text[])',                                                              false, true,  true),
    ('runlog.claim_prewarm(uuid, text, timestamptz, text)',                                          false, true,  true),
    ('runlog.claim_prewarms(text, text[], integer)',                                                 false, true,  true),
    ('runlog.claim_runs(text, text[], integer)',                                                     false, true,  true),
    ('runlog.cron_job_status()',                                                                     false, false, true),
    ('runlog.current_org_id()',                                                                      true,  true,  true),
    ('runlog.delete_schedule(uuid, text)',                                                           false, false, true),
    ('runlog.disable_schedule(uuid, text)',                                                          false, false, true),
    ('runlog.enable_schedule(uuid, text, boolean)',                                                  false, false, true),
    ('runlog.fail_run(bigint, text, text, double precision, bigint, bigint)',                        false, true,  true),
    ('runlog.finish_and_claim(bigint, text, bigint, bigint, text, text, text[])',                    false, true,  true),
    ('runlog.finish_run(bigint, text, bigint, bigint, text)',                                        false, true,  true),
    ('runlog.health_mode_of(uuid, text)',                                                            true,  true,  true),
    ('runlog.health_overview(uuid)',                                                                 true,  true,  true),
    ('runlog.heartbeat(bigint, bigint, bigint)',                                                     false, true,  true),
    ('runlog.install_cron_jobs(text, text)',                                                         false, false, true),
    ('runlog.last_runs(uuid)',                                                                       true,  true,  true),
    ('runlog.maintain(text)',                                                                        false, true,  true),
    ('runlog.maintain_retention(text)',                                                              false, true,  true),
    ('runlog.metrics()',                                                                             false, false, true),
    ('runlog.next_slots(text, text, timestamptz, integer)',                                          true,  true,  true),
    ('runlog.parse_cron(text)',                                                                      true,  true,  true),
    ('runlog.prewarm(timestamptz)',                                                                  false, false, true),
    ('runlog.prune(interval, integer)',                                                              false, false, true),
    ('runlog.reap_stale(interval)',                                                                  false, false, true),
    ('runlog.recent_alerts(bigint, integer)',                                                        false, true,  true),
    ('runlog.record_health_check(uuid, text, boolean, integer, text, timestamptz)',                  false, true,  true),
    ('runlog.record_prewarm(uuid, text, timestamptz, boolean, integer, text, text)',                 false, true,  true),
    ('runlog.request_sync(uuid, text, text, timestamptz, text)',                                     true,  true,  true),
    ('runlog.resume_schedule(uuid, text)',                                                           false, false, true),
    ('runlog.retry_period(uuid, text)',                                                              true,  false, true),
    ('runlog.run_history(uuid, text, integer, bigint)',                                              true,  true,  true),
    ('runlog.scheduler_status()',                                                                    false, true,  true),
    ('runlog.set_health_mode(text, text, uuid)',                                                     false, false, true),
    ('runlog.set_schedule(uuid, text, text, text, text, interval, boolean)',                         false, false, true),
    ('runlog.slot_key(uuid, text, timestamptz)',                                                     true,  true,  true),
    ('runlog.start_run(uuid, text, text, timestamptz, text)',                                        false, true,  true),
    ('runlog.tick(timestamptz, text)',                                                               false, false, true),
    ('runlog.unbind_login(name)',                                                                    false, false, true),
    ('runlog.uninstall_cron_jobs()',                                                                 false, false, true),
    ('runlog.version()',                                                                             true,  true,  true);
-- noqa: enable=all

-- The monitoring role (0009) may execute metrics() and version() and nothing else.
UPDATE runlog.function_grants SET runlog_monitor = true
WHERE signature IN ('runlog.metrics()', 'runlog.version()');

SELECT runlog._apply_function_grants();
