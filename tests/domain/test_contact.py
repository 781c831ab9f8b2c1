import pytest

from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.errors import InvalidEmail, InvalidPhone


@pytest.mark.parametrize(
    "raw",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "81234567890", "(0812) 34567890"],
)
def test_mobile_numbers_normalise_to_e164(raw: str) -> None:
    assert PhoneNumber.parse(raw).e164 == "+6281234567890"


@pytest.mark.parametrize(
    "raw", ["021-555-1234", "0812", "+1 415 555 0100", "08123456789012345", "abc"]
)
def test_non_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(raw)


def test_email_is_normalised_and_case_insensitive_for_uniqueness() -> None:
    address = EmailAddress.parse("  Budi.Santoso@Example.CO.ID ")
    assert address.value == "Budi.Santoso@example.co.id"
    assert address.uniqueness_key == "budi.santoso@example.co.id"


@pytest.mark.parametrize(
    "raw", ["budi", "budi@", "@example.com", "budi@@example.com", "budi example@x.com"]
)
def test_malformed_email_is_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress.parse(raw)


def test_masks_do_not_reveal_the_number_or_mailbox() -> None:
    assert PhoneNumber.parse("081234567890").masked == "+62812*****890"
    assert EmailAddress.parse("budi@example.com").masked == "b***@example.com"


def _in_script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) if d.isdigit() else d for d in digits)


@pytest.mark.parametrize(
    "raw",
    [
        _in_script("081234567890", 0x0660),  # Arabic-Indic
        "08" + _in_script("12", 0x0660) + "34567890",
        _in_script("081234567890", 0xFF10),  # fullwidth
    ],
)
def test_digits_of_other_scripts_are_not_a_phone_number(raw: str) -> None:
    # str.isdigit and \d accept them; the SMS gateway and the registry would not.
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(raw)
