"""Dukcapil (civil registry) simulator: does the entered identity match the registry?

It answers match / no match per field, never the registry's data itself. Names are
compared ignoring case and runs of spaces.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_404_NOT_FOUND

from prakerja.simulators.app import build_app
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.person import Person
from prakerja.simulators.photos import Photo, PhotoStore
from prakerja.simulators.population import Population
from prakerja.simulators.problems import Problem

Text = Annotated[str, msgspec.Meta(max_length=300)]


class IdentityQuery(msgspec.Struct, frozen=True):
    nik: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{16}$")]
    kk_number: Text
    full_name: Text
    birth_date: dt.date
    mother_maiden_name: Text


class FieldMatches(msgspec.Struct, frozen=True):
    kk_number: bool
    full_name: bool
    birth_date: bool
    mother_maiden_name: bool


class IdentityAnswer(msgspec.Struct, frozen=True):
    found: bool
    matches: FieldMatches | None = None
    age_years: int | None = None
    photo_ref: str | None = None


class PhotoSet(msgspec.Struct, frozen=True):
    photo_ref: str


def _same_name(entered: str, registered: str) -> bool:
    return " ".join(entered.split()).casefold() == " ".join(registered.split()).casefold()


def _registered(population: Population, nik: str) -> Person | None:
    person = population.by_nik(nik)
    return person if person is not None and person.in_registry else None


@post("/identity/verify", status_code=200, opt={FAULTS_OPT: True}, sync_to_thread=False)
def verify_identity(
    data: JSONBody[IdentityQuery], population: NamedDependency[Population]
) -> IdentityAnswer:
    person = _registered(population, data.nik)
    if person is None:
        return IdentityAnswer(found=False)
    return IdentityAnswer(
        found=True,
        matches=FieldMatches(
            kk_number=data.kk_number.replace(" ", "") == person.kk_number,
            full_name=_same_name(data.full_name, person.full_name),
            birth_date=data.birth_date == person.birth_date,
            mother_maiden_name=_same_name(data.mother_maiden_name, person.mother_maiden_name),
        ),
        age_years=person.age_on(population.as_of),
        photo_ref=person.photo_ref,
    )


@get("/photos/{ref:str}", opt={FAULTS_OPT: True}, sync_to_thread=True)
def read_photo(
    ref: FromPath[str], population: NamedDependency[Population], photos: NamedDependency[PhotoStore]
) -> Response[bytes]:
    person = population.by_photo_ref(ref)
    if person is None or not person.in_registry:
        raise Problem(HTTP_404_NOT_FOUND, "unknown_photo", "No registry photo has this reference.")
    photo = photos.get(person.nik)
    if photo is None:
        raise Problem(
            HTTP_404_NOT_FOUND,
            "no_photos_configured",
            "The Dukcapil simulator has no photos.",
            detail="Start the simulators with photos_dir set to a folder of face photos, "
            "or set this person's photo with PUT /_admin/photos/{nik}.",
        )
    return Response(photo.content, media_type=photo.media_type)


@put("/_admin/photos/{nik:str}")
async def set_photo(
    nik: FromPath[str],
    request: Request[Any, Any, Any],
    population: NamedDependency[Population],
    photos: NamedDependency[PhotoStore],
) -> PhotoSet:
    """Test hook: make this NIK's registry photo the request body."""
    person = _registered(population, nik)
    if person is None:
        raise Problem(HTTP_404_NOT_FOUND, "unknown_nik", "No person in the registry has this NIK.")
    media_type = request.headers.get("content-type", "image/jpeg")
    photos.set(person.nik, Photo(await request.body(), media_type))
    return PhotoSet(photo_ref=person.photo_ref)


def create_dukcapil_app(
    population: Population,
    photos: PhotoStore,
    faults: FaultInjector,
) -> Litestar:
    return build_app(
        [verify_identity, read_photo, set_photo],
        faults=faults,
        dependencies={"population": population, "photos": photos},
    )
