"""Observability: the metrics catalogue, the Prometheus exporter, worker probes, JSON logs."""
