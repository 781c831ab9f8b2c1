"""Uniqueness keys are claimed without reading them first; a key that exists is still right.

A first claim makes the key anew (no read); if the key existed after all, the save fails
whole and the retry reads it: a free key (released by a correction or a registry
refusal) is claimed, one held by someone else refuses with ``…_taken``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from prakerja.container import Container
from prakerja.domain.contact import EmailAddress
from prakerja.domain.errors import AlreadyTaken
from prakerja.domain.uniqueness import KeyKind, UniqueKey
from tests.helpers import send_verification_email

NIK_A, NIK_B = "3201015507900001", "3201015507900002"


def identity(nik: str) -> dict[str, Any]:
    return {
        "nik": nik,
        "kk_number": "3201010101010001",
        "full_name": "Siti Aminah",
        "birth_date": dt.date(1990, 7, 15),
        "mother_maiden_name": "Sri Wahyuni",
    }


def email_verified(container: Container, email: str) -> Any:
    applicants = container.applicants
    written = applicants.register_prehashed(EmailAddress.parse(email), "hash")
    token = send_verification_email(applicants, written.applicant_id)
    applicants.verify_email(written.applicant_id, token)
    return written.applicant_id


def test_a_nik_released_by_a_correction_is_claimed_by_its_owner(container: Container) -> None:
    applicants = container.applicants
    typo = email_verified(container, "typo@example.com")
    owner = email_verified(container, "owner@example.com")
    applicants.submit_identity(typo, **identity(NIK_A))
    applicants.submit_identity(typo, **identity(NIK_B))  # corrected: NIK_A released

    applicants._existing_keys = type(applicants._existing_keys)()  # as a fresh process
    applicants.submit_identity(owner, **identity(NIK_A))

    key: object = applicants.repository.get(applicants.key_id(KeyKind.NIK, NIK_A))
    assert isinstance(key, UniqueKey)
    assert key.owner == owner
    assert key.version > 1  # the existing key, claimed again: not a second key


def test_a_nik_held_by_another_applicant_is_refused(container: Container) -> None:
    applicants = container.applicants
    first = email_verified(container, "first@example.com")
    second = email_verified(container, "second@example.com")
    applicants.submit_identity(first, **identity(NIK_A))

    with pytest.raises(AlreadyTaken) as refused:
        applicants.submit_identity(second, **identity(NIK_A))
    assert refused.value.code == "nik_taken"


def test_an_email_is_registered_once(container: Container) -> None:
    applicants = container.applicants
    applicants.register_prehashed(EmailAddress.parse("once@example.com"), "hash")
    with pytest.raises(AlreadyTaken) as refused:
        applicants.register_prehashed(EmailAddress.parse("ONCE@example.com"), "hash")
    assert refused.value.code == "email_taken"
