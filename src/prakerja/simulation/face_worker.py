"""Entry module for ``dramatiq``: the face queue served by the simulated face layer.

Run as ``python -m dramatiq prakerja.simulation.face_worker --queues face``, the way
``prakerja worker --face`` runs :mod:`prakerja.workers.entry`. Everything but the image
analysis is the real step (see :mod:`prakerja.simulation.face`). Like the real entry
module, this one builds the broker and actors at import time (Dramatiq's CLI needs
them) and the service lazily, in each worker process after the fork.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import dramatiq

from prakerja.bootstrap import bootstrap
from prakerja.logs import configure_logging
from prakerja.settings import Settings
from prakerja.simulation.face import SimulatedFaceChecker
from prakerja.verification.runner import DelayPolicy, StepRunner
from prakerja.workers.actors import declare_actors
from prakerja.workers.broker import build_broker
from prakerja.workers.verification import build_services

settings = Settings()
configure_logging(settings, "worker")
broker = build_broker(settings.broker_url)
dramatiq.set_broker(broker)


@cache
def _runner() -> StepRunner:
    container = bootstrap(settings)
    verification = settings.verification
    delays = DelayPolicy(
        dt.timedelta(seconds=verification.delay_base_s),
        dt.timedelta(seconds=verification.delay_ceiling_s),
    )
    return StepRunner(
        container.applicants, build_services(container, SimulatedFaceChecker()), delays
    )


actors = declare_actors(broker, _runner, settings.verification)
