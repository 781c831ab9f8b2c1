"""What every simulator app shares: fault injection, admin endpoints, problem details."""

from __future__ import annotations

from collections.abc import Sequence

from litestar import Litestar, get
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.types import ControllerRouterHandler

from prakerja.simulators.faults import ADMIN_HANDLERS, FaultInjector
from prakerja.simulators.problems import internal_error, problem_details


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def constant(value: object) -> Provide:
    """A dependency that always provides ``value``."""

    def provide() -> object:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def build_app(
    handlers: Sequence[ControllerRouterHandler],
    *,
    faults: FaultInjector,
    dependencies: dict[str, object],
) -> Litestar:
    return Litestar(
        route_handlers=[*handlers, *ADMIN_HANDLERS, health],
        dependencies={
            name: constant(value) for name, value in {**dependencies, "faults": faults}.items()
        },
        before_request=faults,
        plugins=[problem_details()],
        openapi_config=None,
        logging_config=LoggingConfig(configure_root_logger=False),
        exception_handlers={Exception: internal_error},
    )
