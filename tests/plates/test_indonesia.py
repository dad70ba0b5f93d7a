"""The TNKB format as tables: parsing, position-aware fixes, spacing, regions, categories."""

from __future__ import annotations

import pytest

from edge.plates.indonesia import (
    PlateText,
    category_of,
    gap_strengths,
    normalize,
    normalize_read,
    parse,
    region_of,
)
from edge.plates.regions import REGIONS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B 1234 XYZ", ("B", "1234", "XYZ")),
        ("BK 4321 AB", ("BK", "4321", "AB")),
        ("DD 77 C", ("DD", "77", "C")),
        ("AD 1 A", ("AD", "1", "A")),
        ("DK 999", ("DK", "999", "")),
        ("b1234xyz", ("B", "1234", "XYZ")),  # case and spacing do not matter
        ("CD 12 34", ("CD", "1234", "")),  # diplomatic: digits only
        ("CC 123 45", ("CC", "12345", "")),
        ("PY 1 ABC", ("PY", "1", "ABC")),  # a 2023 Papua code
    ],
)
def test_valid_plates_parse(text: str, expected: tuple[str, str, str]) -> None:
    plate = parse(text)
    assert plate is not None and (plate.region, plate.number, plate.suffix) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", "B", "1234", "XYZ",
        "B 12345 XY",  # five digits
        "B 1234 WXYZ",  # four suffix letters
        "ABC 12 D",  # three-letter code
        "C 1234 AB", "I 12 A", "XX 12 A",  # no such region
        "B 0123 AB",  # a number never starts with 0
        "CD 12 AB",  # diplomatic plates have no letters after the number
        "B 12A4 XY",
    ],
)
def test_invalid_plates_do_not_parse(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    ("raw", "expected", "fixed"),
    [
        ("B1234XYZ", "B1234XYZ", ()),
        ("B12O4XYZ", "B1204XYZ", (3,)),  # O in the number: 0
        ("BI234XYZ", "B1234XYZ", (1,)),  # I in the number: 1 (BI is no region)
        ("B1234XY2", "B1234XYZ", (7,)),  # 2 in the suffix: Z
        ("81234XYZ", "B1234XYZ", (0,)),  # 8 in the code: B
        ("B1234X5Z", "B1234XSZ", (6,)),  # 5 in the suffix: S
        ("B12G4XYZ", "B1264XYZ", (3,)),  # G in the number: 6
        ("BK4321A8", "BK4321AB", (7,)),
        ("0D77C", "DD77C", (0,)),  # 0 in the code: D, the only letter making a region
        ("B1Z34", "B1234", (2,)),  # Z in the number: 2
        ("DK999", "DK999", ()),
    ],
)
def test_confusions_are_fixed_where_the_position_says(raw: str, expected: str, fixed: tuple[int, ...]) -> None:
    plate = normalize(raw)
    assert plate is not None and plate.text == expected and plate.fixed == fixed


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "XYZ",  # no digits
        "12345678",  # no letters that could be a code
        "B1234XYZW",  # too long for any split
        "BX1234XYZ",  # BX is no region, and X is no digit
    ],
)
def test_unfixable_reads_are_not_plates(raw: str) -> None:
    assert normalize(raw) is None


def test_equal_evidence_for_two_plates_is_ambiguous() -> None:
    # "AE90": 0 in the number, or O as a suffix after "AE 9". With the gap unknown and the OCR
    # torn between 0 and O, both plates score alike: nothing is guessed.
    torn = [[("A", 0.9)], [("E", 0.9)], [("9", 0.9)], [("0", 0.45), ("O", 0.45)]]
    assert normalize_read(torn) is None


def test_the_gap_decides_where_groups_end() -> None:
    chars = [[("A", 0.99)], [("A", 0.99)], [("6", 0.99)], [("1", 0.7), ("I", 0.3)], [("Q", 0.9)]]
    wide_after_six = normalize_read(chars, gaps=[2, 5, 5, 2])
    wide_after_one = normalize_read(chars, gaps=[2, 5, 2, 5])
    assert wide_after_six is not None and wide_after_six.plate.formatted == "AA 6 IQ"
    assert wide_after_one is not None and wide_after_one.plate.formatted == "AA 61 Q"


def test_candidates_fix_a_letter_the_table_does_not_know() -> None:
    # 'A' between digits has no look-alike in the table, but the OCR's own runner-up is a 4.
    chars = [[("B", 0.99)], [("1", 0.99)], [("A", 0.6), ("4", 0.35)], [("3", 0.99)], [("4", 0.99)], [("X", 0.99)]]
    reading = normalize_read(chars)
    assert reading is not None and reading.plate.text == "B1434X" and reading.plate.fixed == (2,)
    # Its confidence is the character's (0.95 for some character) given that it is a digit.
    assert reading.confidences[2] == pytest.approx(0.95)


def test_gap_strengths() -> None:
    assert gap_strengths([]) == () and gap_strengths([3, 3]) == ()
    assert gap_strengths([2, 2, 2, 2]) == (0.0, 0.0, 0.0, 0.0)
    assert gap_strengths([2, 6, 2, 2, 5]) == (0.0, 2.0, 0.0, 0.0, 1.5)


@pytest.mark.parametrize(
    ("code", "province"),
    [("B", "DKI Jakarta"), ("D", "Jawa Barat"), ("BK", "Sumatera Utara"), ("DD", "Sulawesi Selatan"),
     ("AD", "Jawa Tengah"), ("DK", "Bali"), ("L", "Jawa Timur"), ("KU", "Kalimantan Utara"), ("PS", "Papua Selatan")],
)
def test_region_lookup(code: str, province: str) -> None:
    region = region_of(code)
    assert region is not None and region.province == province and region.area


def test_region_table_is_complete_and_well_formed() -> None:
    assert region_of("C") is None and region_of("CD") is None  # CD is diplomatic, not a region
    assert len(REGIONS) >= 60
    singles = {c for c in REGIONS if len(c) == 1}
    assert singles == set("ABDEFGHKLMNPRSTWZ")
    assert all(c.isalpha() and c.isupper() and 1 <= len(c) <= 2 for c in REGIONS)


@pytest.mark.parametrize(
    ("colour", "text", "category"),
    [
        ("black", "B 1234 XYZ", "private"),  # the style before 2022
        ("white", "B 1234 XYZ", "private"),  # the 2022 style
        ("red", "B 1234 RFS", "government"),
        ("yellow", "B 7001 TGA", "public_transport"),
        ("green", "BP 1234 AB", "free_trade_zone"),
        ("white", "CD 12 34", "diplomatic"),
        ("black", "CC 12 34", "diplomatic"),
        ("unknown", "B 1234 XYZ", "unknown"),
    ],
)
def test_category(colour: str, text: str, category: str) -> None:
    assert category_of(colour, parse(text)) == category  # type: ignore[arg-type]


def test_formatting() -> None:
    assert PlateText("B", "1234", "XYZ").formatted == "B 1234 XYZ"
    assert PlateText("DK", "999", "").formatted == "DK 999"
    assert PlateText("CD", "12345", "").formatted == "CD 123 45"
