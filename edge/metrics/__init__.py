"""Prometheus metrics of one box (`prometheus_client`): what the pipeline reports once per frame,
and what delivery, the camera and the clock say when a scrape asks."""
