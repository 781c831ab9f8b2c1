"""Composition root of the simulators: one population shared by the government services,
plus the payment provider and a training platform."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar

from prakerja.simulators.config import SimulatorConfig
from prakerja.simulators.dukcapil import create_dukcapil_app
from prakerja.simulators.education import create_education_app
from prakerja.simulators.email import create_email_app
from prakerja.simulators.exclusions import create_exclusions_app
from prakerja.simulators.faults import FaultInjector
from prakerja.simulators.payments import create_payments_app
from prakerja.simulators.photos import PhotoStore
from prakerja.simulators.population import Population
from prakerja.simulators.sms import create_sms_app
from prakerja.simulators.training import create_training_app


@dataclass(frozen=True)
class Simulators:
    population: Population
    apps: dict[str, Litestar]
    """Service name (``dukcapil``, …, ``email``, ``payments``, ``training``) → app."""


def build_simulators(config: SimulatorConfig) -> Simulators:
    population = Population(
        config.seed, config.population_size, rates=config.rates, as_of=config.as_of
    )

    def faults(service: str) -> FaultInjector:
        return FaultInjector(service, getattr(config.faults, service), seed=config.seed)

    apps = {
        "dukcapil": create_dukcapil_app(
            population, PhotoStore(config.photos_dir, seed=config.seed), faults("dukcapil")
        ),
        "education": create_education_app(population, faults("education")),
        "exclusions": create_exclusions_app(population, faults("exclusions")),
        "sms": create_sms_app(faults("sms")),
        "email": create_email_app(population, faults("email")),
        "payments": create_payments_app(config.payments, faults("payments"), seed=config.seed),
        "training": create_training_app(config.training, faults("training"), seed=config.seed),
    }
    return Simulators(population, apps)
