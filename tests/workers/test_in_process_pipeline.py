"""The pipeline ``prakerja serve`` runs in-process when no broker is configured."""

from __future__ import annotations

import logging

import pytest

from prakerja.container import Container
from prakerja.workers.pipeline import InProcessPipeline

pytestmark = pytest.mark.postgres


def test_each_in_process_worker_has_a_broker_of_its_own_and_dramatiq_says_nothing(
    pg_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dramatiq")
    pipeline = InProcessPipeline(pg_container)
    pipeline.start()
    try:
        workers = pipeline.workers
        assert len(workers) == 3  # verification, face, payments
        assert len({id(worker.broker) for worker in workers}) == len(workers)
        for worker in workers:
            declared = worker.broker.get_declared_queues() | (
                worker.broker.get_declared_delay_queues()
            )
            # Every queue of its broker is consumed, by this worker.
            assert declared and set(worker.consumers) == declared
    finally:
        pipeline.stop()
    noise = [r.getMessage() for r in caplog.records if r.name.startswith("dramatiq")]
    assert noise == []
