"""Simulators of the external government services, seeded with a synthetic population.

Dukcapil, the education ministry, the exclusion lists, an SMS gateway and an email
service, each a small Litestar app on its own port (8101-8105 by default), all served
from one process by :func:`run_simulators`; :func:`start_in_background` serves them
on free ports for tests. Faults (latency, 503s, hangs, outages) are injected from
:class:`FaultConfig` or at run time through ``PUT /_admin/faults``.
"""

from prakerja.simulators.admin import SimulatorAdmin
from prakerja.simulators.bootstrap import Simulators, build_simulators
from prakerja.simulators.config import (
    SERVICES,
    FaultConfig,
    OutageWindow,
    ServiceFaults,
    ServicePorts,
    SimulatorConfig,
)
from prakerja.simulators.person import (
    EducationLevel,
    ExclusionList,
    IdentityIssue,
    Person,
    SelfieIssue,
    TypedIdentity,
    Typo,
    TypoField,
)
from prakerja.simulators.population import MAX_SIZE, Population
from prakerja.simulators.rates import FunnelEstimate, PopulationRates
from prakerja.simulators.server import (
    RunningSimulators,
    SimulatorUrls,
    run_simulators,
    serve_simulators,
    start_in_background,
)

__all__ = [
    "MAX_SIZE",
    "SERVICES",
    "EducationLevel",
    "ExclusionList",
    "FaultConfig",
    "FunnelEstimate",
    "IdentityIssue",
    "OutageWindow",
    "Person",
    "Population",
    "PopulationRates",
    "RunningSimulators",
    "SelfieIssue",
    "ServiceFaults",
    "ServicePorts",
    "SimulatorAdmin",
    "SimulatorConfig",
    "SimulatorUrls",
    "Simulators",
    "TypedIdentity",
    "Typo",
    "TypoField",
    "build_simulators",
    "run_simulators",
    "serve_simulators",
    "start_in_background",
]
