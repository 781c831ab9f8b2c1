"""Email tokens and OTP codes: a token or code we did not send is refused, whatever it holds."""

from __future__ import annotations

import uuid

import pytest

from prakerja.security.codes import Codes

APPLICANT = uuid.UUID(int=7)
EMAIL = "budi@example.com"
PHONE = "+6281234567890"


@pytest.fixture
def codes() -> Codes:
    return Codes(b"email-secret", b"otp-secret")


def test_the_token_sent_is_accepted_and_its_attempt_told(codes: Codes) -> None:
    token = codes.email_token(APPLICANT, EMAIL, 2)
    assert codes.check_email_token(APPLICANT, EMAIL, token, attempts_requested=2) == 2
    assert codes.check_email_token(APPLICANT, EMAIL, token, attempts_requested=1) is None


@pytest.mark.parametrize(
    "offered",
    [
        "1.ééé",  # non-ASCII after a valid head
        "\u0661.abc",  # an Arabic-Indic digit passes str.isdigit()
        "².abc",  # so does a superscript, which int() refuses
        "1.\x00",
        "",
        ".",
        "1." + "é" * 10_000,
        "9" * 5_000 + ".abc",  # int() refuses more than 4,300 digits
    ],
)
def test_a_token_with_anything_but_ascii_is_simply_wrong(codes: Codes, offered: str) -> None:
    assert codes.check_email_token(APPLICANT, EMAIL, offered, attempts_requested=3) is None


def test_the_otp_sent_is_accepted_and_nothing_else(codes: Codes) -> None:
    code = codes.otp(APPLICANT, PHONE, 1)
    assert codes.check_otp(APPLICANT, PHONE, 1, code)
    assert codes.check_otp(APPLICANT, PHONE, 1, f" {code} ")
    arabic = "".join(chr(0x0660 + int(d)) for d in code)  # the same digits, Arabic-Indic
    for offered in (arabic, code[:5] + "é", "\x00" * 6, "", code + "0"):
        assert not codes.check_otp(APPLICANT, PHONE, 1, offered), offered
