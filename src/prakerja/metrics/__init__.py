"""Prometheus metrics: the families the service records, what it reads at scrape time."""
