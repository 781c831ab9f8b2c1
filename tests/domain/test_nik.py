import datetime as dt

import pytest

from prakerja.domain.errors import InvalidNik
from prakerja.domain.nik import PROVINCES, Nik, Sex, compose_nik, mask_nik


def test_parses_region_birth_date_and_sex() -> None:
    nik = Nik.parse("3201 0155 0790 0001")
    assert nik.value == "3201015507900001"
    assert (nik.province_code, nik.regency_code, nik.district_code) == ("32", "3201", "320101")
    assert nik.province == "Jawa Barat"
    assert nik.sex is Sex.FEMALE
    assert dt.date(1990, 7, 15) in nik.possible_birth_dates()


def test_male_day_is_unshifted() -> None:
    nik = Nik.parse("3174021503850002")
    assert nik.sex is Sex.MALE
    assert nik.possible_birth_dates()[0] == dt.date(1985, 3, 15)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("320101550790000", "nik_malformed"),
        ("32010155079000011", "nik_malformed"),
        ("32010155079000AB", "nik_malformed"),
        ("2001015507900001", "nik_unknown_province"),
        ("9901015507900001", "nik_unknown_province"),
        ("3200015507900001", "nik_unknown_regency"),
        ("3201005507900001", "nik_unknown_district"),
        ("3201013202900001", "nik_impossible_date"),  # 32 February
        ("3201017213900001", "nik_impossible_date"),  # woman, month 13
        ("3201013002900001", "nik_impossible_date"),  # 30 February
        ("3201019902900001", "nik_impossible_date"),  # day 99
        ("3201015507900000", "nik_bad_serial"),
    ],
)
def test_refuses_impossible_niks_with_a_precise_reason(raw: str, code: str) -> None:
    with pytest.raises(InvalidNik) as caught:
        Nik.parse(raw)
    assert caught.value.code == code


def test_leap_day_is_possible_only_in_a_leap_century_year() -> None:
    assert Nik.parse("3201012902000001").possible_birth_dates() == (dt.date(2000, 2, 29),)
    assert dt.date(1996, 2, 29) in Nik.parse("3201012902960001").possible_birth_dates()


def test_disagreement_with_entered_birth_date_is_detected() -> None:
    nik = Nik.parse("3201015507900001")
    assert nik.agrees_with_birth_date(dt.date(1990, 7, 15))
    assert not nik.agrees_with_birth_date(dt.date(1990, 7, 16))
    assert not nik.agrees_with_birth_date(dt.date(1991, 7, 15))


def test_all_38_provinces_are_known() -> None:
    assert len(PROVINCES) == 38
    assert {"91", "92", "93", "94", "95", "96"} <= set(PROVINCES)


def test_compose_round_trips() -> None:
    nik = compose_nik(
        regency_code="9403",
        district="05",
        birth_date=dt.date(2001, 12, 9),
        sex=Sex.FEMALE,
        serial=17,
    )
    assert nik.value == "9403054912010017"
    assert nik.sex is Sex.FEMALE and nik.agrees_with_birth_date(dt.date(2001, 12, 9))


def test_masking_hides_the_middle() -> None:
    assert mask_nik("3201015507900001") == "3201********0001"
    assert "5507" not in repr(Nik.parse("3201015507900001"))


def test_digits_of_other_scripts_are_not_a_nik() -> None:
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in "3201015507900001")
    with pytest.raises(InvalidNik):
        Nik.parse(arabic_indic)
