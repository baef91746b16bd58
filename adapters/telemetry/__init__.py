"""Operations: Prometheus metrics, the health and metrics endpoint, OpenTelemetry traces
and JSON log lines. The workers wire them in (workers/telemetry.py)."""
