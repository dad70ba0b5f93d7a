"""The Indonesian plate (TNKB) format: parsing, position-aware OCR fixes, category.

A plate's main line is a region code of 1–2 letters, a number of 1–4 digits without a leading
zero, and a suffix of 0–3 letters: ``B 1234 XYZ``, ``BK 4321 AB``, ``DD 77 C``, ``AD 1 A``,
``DK 999``. Foreign missions' plates are ``CD``/``CC`` and digits only (``CD 12 34``: country,
then serial). The smaller second line (month.year of expiry) is not part of the text.

OCR confuses letters and digits that look alike (O/0, I/1, B/8, S/5, Z/2, G/6). Because the
format says which positions hold letters and which digits, such a confusion can be undone, but
only where the position is unambiguous: every split of the read into code/number/suffix is
scored (each fix costs what the OCR's own candidates say it is worth, and the gaps between the
plate's groups count where the read has them), the region code must exist, and when the best
two different plates score alike nothing is fixed and the read is not a plate.

>>> normalize("B1234XYZ").formatted
'B 1234 XYZ'
>>> fixed = normalize("8K4321A8")
>>> fixed.text, fixed.fixed
('BK4321AB', (0, 7))
>>> normalize("DK0999") is None  # a number never starts with 0
True
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from edge.plates.regions import DIPLOMATIC_PREFIXES, REGIONS, Region

__all__ = [
    "PlateCategory",
    "PlateColour",
    "PlateText",
    "category_of",
    "clean",
    "gap_strengths",
    "normalize",
    "normalize_evidence",
    "normalize_read",
    "parse",
    "region_of",
]

PlateColour = Literal["black", "white", "red", "yellow", "green", "unknown"]
"""Background colour. Black (white letters) is the style before 2022; white (black letters)
the style introduced in 2022; both are private vehicles."""

PlateCategory = Literal["private", "government", "public_transport", "free_trade_zone", "diplomatic", "unknown"]

# In a digit position these letters are read as the digit they resemble. D and Q are added to
# the usual O because the condensed plate font rounds all three alike.
LETTER_TO_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "Z": "2", "S": "5", "G": "6", "B": "8"}
# In a letter position: the letters a digit may stand for, most likely first. The region code
# tries every one (the table decides); the suffix takes the first.
DIGIT_TO_LETTERS = {"0": ("O", "D", "Q"), "1": ("I",), "2": ("Z",), "5": ("S",), "6": ("G",), "8": ("B",)}

_PLATE = re.compile(r"^([A-Z]{1,2})([0-9]{1,4})([A-Z]{0,3})$")
_DIPLOMATIC = re.compile(r"^(CD|CC)([0-9]{2,5})$")


@dataclass(frozen=True, slots=True)
class PlateText:
    """A plate's main line split into its parts; `fixed` lists positions an OCR fix changed."""

    region: str
    number: str
    suffix: str
    fixed: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return self.region + self.number + self.suffix

    @property
    def diplomatic(self) -> bool:
        return self.region in DIPLOMATIC_PREFIXES

    @property
    def formatted(self) -> str:
        """As printed on the plate, groups separated by one space.

        >>> PlateText("CD", "1234", "").formatted
        'CD 12 34'
        >>> PlateText("DK", "999", "").formatted
        'DK 999'
        """
        if self.diplomatic:
            return f"{self.region} {self.number[:-2]} {self.number[-2:]}"
        return " ".join(part for part in (self.region, self.number, self.suffix) if part)

    @property
    def layout(self) -> tuple[int, int, int]:
        return len(self.region), len(self.number), len(self.suffix)


def clean(raw: str) -> str:
    """Upper case, letters and digits only (spaces, dots and dashes are not characters).

    >>> clean(" b 1234-xyz.")
    'B1234XYZ'
    """
    return "".join(c for c in raw.upper() if ("A" <= c <= "Z") or ("0" <= c <= "9"))


def region_of(code: str) -> Region | None:
    return REGIONS.get(code)


def parse(text: str) -> PlateText | None:
    """Strict: the text must already be a valid plate (known region, no fixes).

    >>> parse("BK 4321 AB").region, parse("cd 12 34").number
    ('BK', '1234')
    >>> parse("XX 1 A") is None, parse("B 12345") is None
    (True, True)
    """
    cleaned = clean(text)
    diplomatic = _DIPLOMATIC.match(cleaned)
    if diplomatic:
        return PlateText(diplomatic.group(1), diplomatic.group(2), "")
    match = _PLATE.match(cleaned)
    if match is None or match.group(1) not in REGIONS or match.group(2).startswith("0"):
        return None
    return PlateText(match.group(1), match.group(2), match.group(3))


Candidates = Sequence[tuple[str, float]]
"""One read character: (character, probability) pairs, best first."""

# A look-alike from the table scores as if the OCR had given it this share of the read
# character's probability on top of its own: O/0 or I/1 is a likelier misreading than an
# unrelated candidate with the same small probability.
MAP_FIX_SHARE = 0.02
MAP_FIX_CONFIDENCE = 0.8  # share of the read character's confidence a table fix keeps
# Nats by which the best reading must beat the next different plate; closer is ambiguous.
AMBIGUITY_MARGIN = 0.5
# Weight of the spacing evidence (nats per unit of gap strength, see `gap_strengths`).
GAP_WEIGHT = 4.0


@dataclass(frozen=True, slots=True)
class Reading:
    """A read turned into a plate: the text, a confidence per character, and its log-score."""

    plate: PlateText
    confidences: tuple[float, ...]
    score: float


def _splits(n: int) -> list[tuple[int, int, int]]:
    """(code, number, suffix) lengths that add up to n, ordinary plates and diplomatic ones."""
    out = [(p, d, n - p - d) for p in (1, 2) for d in range(1, 5) if 0 <= n - p - d <= 3]
    if 4 <= n <= 7:
        out.append((2, n - 2, 0))
    return sorted(set(out))


def gap_strengths(gaps: Sequence[float]) -> tuple[float, ...]:
    """How clearly each gap between neighbouring characters is a gap between groups.

    A plate's groups are set apart by about a letter's width. Up to two gaps are group gaps,
    so the rest give the ordinary spacing; strength is the excess over it, relative, clipped
    to [-1, 2]. Empty when spacing is unknown (no positions, or too few characters).

    >>> gap_strengths([2, 5, 2, 2, 4, 2])
    (0.0, 1.5, 0.0, 0.0, 1.0, 0.0)
    """
    if len(gaps) < 3:
        return ()
    ordinary = sorted(gaps)[: len(gaps) - 2]
    base = max(float(ordinary[len(ordinary) // 2]), 1e-6)
    return tuple(min(2.0, max(-1.0, (g - base) / base)) for g in gaps)


def _choices(options: Candidates, letter: bool) -> dict[str, tuple[float, float]]:
    """The characters of the wanted kind this position can be: char -> (log-score, confidence).

    From the OCR's own candidates of that kind first (scored by their probability relative
    to the best one, confidence renormalised within the kind), then the look-alike table.
    """
    best_char, best_p = options[0]
    total = sum(p for _, p in options)
    kind = [(c, p) for c, p in options if c.isalpha() == letter and p > 0]
    kind_total = sum(p for _, p in kind)
    out = {c: (math.log(p / best_p), total * p / kind_total) for c, p in kind}
    mapped = DIGIT_TO_LETTERS.get(best_char, ()) if letter else (LETTER_TO_DIGIT.get(best_char, ""),)
    for c in mapped:
        if c:
            own = dict(options).get(c, 0.0)
            _, confidence = out.get(c, (0.0, 0.0))
            out[c] = (math.log((own + MAP_FIX_SHARE * best_p) / best_p), max(confidence, best_p * MAP_FIX_CONFIDENCE))
    return out


def _readings(chars: Sequence[Candidates], split: tuple[int, int, int],
              strengths: Sequence[float]) -> list[tuple[float, str, tuple[float, ...]]]:
    p, d, q = split
    slots = [_choices(c, letter=not (p <= i < p + d)) for i, c in enumerate(chars)]
    if any(not slot for slot in slots):
        return []
    # Number and suffix: each position's best choice. The code: every choice, the table decides.
    rest = [max(slot.items(), key=lambda kv: kv[1][0]) for slot in slots[p:]]
    boundaries = {p, p + d} if q else {p}
    # Group gaps measure ~1 and gaps inside a group ~0 (tuning split): every gap on the side
    # of the midpoint its role predicts gains, every gap on the wrong side loses.
    gap_score = GAP_WEIGHT * sum((s - 0.5) * (1 if i + 1 in boundaries else -1) for i, s in enumerate(strengths))
    found = []
    for code in itertools.product(*[list(slot.items()) for slot in slots[:p]]):
        head = "".join(c for c, _ in code)
        number = "".join(c for c, _ in rest[:d])
        diplomatic = head in DIPLOMATIC_PREFIXES
        if diplomatic and (q or not 2 <= d <= 5):
            continue
        if not diplomatic and (head not in REGIONS or d > 4 or number.startswith("0")):
            continue
        picked = list(code) + rest
        score = sum(v[0] for _, v in picked) + gap_score
        found.append((score, head + "".join(c for c, _ in rest), tuple(round(v[1], 4) for _, v in picked)))
    return found


def normalize_read(chars: Sequence[Candidates], gaps: Sequence[float] = ()) -> Reading | None:
    """`normalize_evidence` of one read: its candidates and the gaps between its characters.

    >>> r = normalize_read([[("A", .9)], [("E", .9)], [("9", .9)], [("0", .6), ("O", .3)]], gaps=[2, 4, 6])
    >>> r.plate.formatted, r.confidences[3]  # the wide gap before the last character: a suffix
    ('AE 9 O', 0.9)
    >>> normalize_read([[("A", .9)], [("E", .9)], [("9", .9)], [("0", .6), ("O", .3)]]).plate.formatted
    'AE 90'
    """
    return normalize_evidence(chars, gap_strengths(gaps) if len(gaps) == len(chars) - 1 else ())


def normalize_evidence(chars: Sequence[Candidates], strengths: Sequence[float] = ()) -> Reading | None:
    """The plate an OCR read most plausibly is, undoing look-alike confusions by position.

    Every split into code/number/suffix is scored: the log-probability of each character the
    split needs (an OCR candidate of the right kind, else the look-alike table at a steep
    cost), plus the spacing evidence when the characters' positions are known. The region
    code must exist. None when nothing fits, or when the best two different plates score
    within AMBIGUITY_MARGIN of each other: the position of a character is then not
    unambiguous, so nothing is guessed. `strengths` (see `gap_strengths`) are per gap
    between neighbouring characters; empty when unknown.
    """
    cleaned = [c for c in chars if c and len(clean(c[0][0])) == 1]
    if len(strengths) != len(chars) - 1 or len(cleaned) != len(chars):
        strengths = ()
    found = [r for split in _splits(len(cleaned)) for r in _readings(cleaned, split, strengths)]
    if not found:
        return None
    found.sort(key=lambda r: -r[0])
    score, text, confidences = found[0]
    rival = next((r for r in found[1:] if r[1] != text), None)
    if rival is not None and score - rival[0] < AMBIGUITY_MARGIN:
        return None
    plate = parse(text)
    if plate is None:
        return None
    fixed = tuple(i for i, (c, t) in enumerate(zip(cleaned, text, strict=True)) if c[0][0] != t)
    return Reading(PlateText(plate.region, plate.number, plate.suffix, fixed), confidences, round(score, 4))


def normalize(raw: str) -> PlateText | None:
    """`normalize_read` of a plain string (every character certain, spacing unknown).

    >>> normalize("AD1A").formatted, normalize("DD77C").formatted
    ('AD 1 A', 'DD 77 C')
    >>> normalize("B12O4XYZ").text  # O in the number is a zero
    'B1204XYZ'
    >>> normalize("B1234XY2").text  # 2 in the suffix is a Z
    'B1234XYZ'
    >>> normalize("81234").text  # only '8' as B gives a known region code
    'B1234'
    >>> normalize("B1234XYZW") is None  # too long for any split
    True
    """
    reading = normalize_read([[(c, 1.0)] for c in clean(raw)])
    return reading.plate if reading is not None else None


_COLOUR_CATEGORY: dict[PlateColour, PlateCategory] = {
    "black": "private",
    "white": "private",
    "red": "government",
    "yellow": "public_transport",
    "green": "free_trade_zone",
    "unknown": "unknown",
}


def category_of(colour: PlateColour, plate: PlateText | None) -> PlateCategory:
    """What the plate says about the vehicle: its colour, except that CD/CC is diplomatic.

    >>> category_of("yellow", parse("B 7001 TGA")), category_of("white", parse("CD 12 34"))
    ('public_transport', 'diplomatic')
    """
    if plate is not None and plate.diplomatic:
        return "diplomatic"
    return _COLOUR_CATEGORY[colour]


@dataclass(frozen=True, slots=True)
class PlateCertainty:
    """How sure the plate read is: the whole read (its least certain character), the number's
    last digit (the parity), and how many frames agree."""

    confidence: float
    digit_confidence: float
    votes: int
