"""Every read model the service keeps, by name (the NAME of ``prakerja projections``)."""

from __future__ import annotations

from prakerja.projections.base import ReadModel
from prakerja.projections.cases import Cases
from prakerja.projections.decisions import Decisions
from prakerja.projections.funnel import Funnel
from prakerja.projections.rejections import Rejections
from prakerja.projections.rosters import Rosters

READ_MODELS: dict[str, ReadModel] = {
    model.kind: model for model in (Funnel(), Rejections(), Rosters(), Cases(), Decisions())
}


class UnknownReadModel(LookupError):
    """Raised when a command names a read model that does not exist."""


def read_model(kind: str) -> ReadModel:
    try:
        return READ_MODELS[kind]
    except KeyError:
        known = ", ".join(READ_MODELS)
        raise UnknownReadModel(f"no read model named {kind!r} (known: {known})") from None
