"""Voting over frames as a table: agreement, ties, missing frames, disagreement, invalid formats."""

from __future__ import annotations

import pytest

from edge.plates.indonesia import normalize
from edge.plates.ocr import CharCandidates, TextRead
from edge.plates.vote import FrameRead, vote


def read(index: int, raw: str, conf: float = 0.9, runner_up: dict[int, tuple[str, float]] | None = None,
         spacing: tuple[int, ...] = ()) -> FrameRead:
    """A frame's read; `runner_up` gives positions a second candidate; `spacing` the CTC steps."""
    steps = spacing or tuple(3 * k for k in range(len(raw)))
    chars = []
    for k, c in enumerate(raw):
        extra = (runner_up or {}).get(k)
        chars.append(CharCandidates((c, extra[0]), (conf, extra[1]), steps[k]) if extra
                     else CharCandidates((c,), (conf,), steps[k]))
    return FrameRead(index, TextRead(tuple(chars)), normalize(raw), (0, 0, 10, 4), 0.8, "white")


def missing(index: int) -> FrameRead:
    return FrameRead(index, TextRead(), None, (0, 0, 10, 4), 0.8, "white")


@pytest.mark.parametrize(
    ("name", "reads", "text", "votes"),
    [
        ("one frame", [read(1, "B1234XYZ")], "B1234XYZ", 1),
        ("all agree", [read(i, "B1234XYZ") for i in range(5)], "B1234XYZ", 5),
        ("majority wins a character", [read(1, "B1234XYZ"), read(2, "B1284XYZ", 0.6), read(3, "B1234XYZ")],
         "B1234XYZ", 3),
        ("confidence outweighs count", [read(1, "B1234XYZ", 0.95), read(2, "B1284XYZ", 0.3), read(3, "B1284XYZ", 0.3)],
         "B1234XYZ", 3),
        ("frames without text do not vote", [missing(1), read(2, "DK999"), missing(3), read(4, "DK999")], "DK999", 2),
        ("a dropped character is outvoted", [read(1, "BK4321AB"), read(2, "BK4321A"), read(3, "BK4321AB")],
         "BK4321AB", 2),
        ("pooled look-alikes are fixed by position", [read(1, "B12O4XYZ"), read(2, "B1204XYZ")], "B1204XYZ", 2),
        ("runner-up candidates add up", [read(1, "B1234XYZ", 0.6, {3: ("8", 0.4)}),
                                         read(2, "B1284XYZ", 0.5, {3: ("3", 0.45)})], "B1234XYZ", 2),
    ],
)
def test_vote_table(name: str, reads: list[FrameRead], text: str, votes: int) -> None:
    result = vote(reads)
    assert result.reason is None, name
    assert (result.text, result.votes, result.parsed) == (text, votes, True), name
    assert len(result.char_confidences) == len(text)


@pytest.mark.parametrize(
    ("name", "reads", "reason"),
    [
        ("nothing read", [], "no text was read"),
        ("only empty frames", [missing(1), missing(2)], "no text was read"),
        ("a tie at one character", [read(1, "B1234XYZ"), read(2, "B1284XYZ")],
         "the reads disagree at character 4: 3 or 8"),
        ("no majority for a length", [read(1, "B1234XYZ"), read(2, "B123XYZ"), read(3, "B12XYZ")],
         "the reads disagree on the number of characters"),
        ("a two-way split on length", [read(1, "B1234XYZ"), read(2, "B123XYZ")],
         "the reads disagree on the number of characters"),
    ],
)
def test_vote_refuses_to_guess(name: str, reads: list[FrameRead], reason: str) -> None:
    result = vote(reads)
    assert result.text == "" and result.reason is not None and result.reason.startswith(reason), name


def test_disagreement_lowers_the_confidence_of_that_character() -> None:
    agreed = vote([read(i, "B1234XYZ") for i in range(3)])
    torn = vote([read(1, "B1234XYZ"), read(2, "B1234XYZ"), read(3, "B1284XYZ")])
    assert torn.char_confidences[3] < agreed.char_confidences[3] == pytest.approx(0.9)
    assert torn.char_confidences[0] == pytest.approx(0.9)
    assert torn.confidence == min(torn.char_confidences)


def test_spacing_is_pooled_across_frames() -> None:
    # Every frame reads "AE90"; the wide gap before the last character says it is a suffix O,
    # and the OCR's runner-up O makes the fix cheap: AE 9 O.
    spaced = (0, 3, 8, 15)
    reads = [read(i, "AE90", 0.8, {3: ("O", 0.15)}, spaced) for i in range(3)]
    assert vote(reads).text == "AE9O"
    assert vote([read(i, "AE90", 0.8, {3: ("O", 0.15)}) for i in range(3)]).text == "AE90"  # even spacing


def test_reads_that_are_no_plate_still_vote_but_are_marked() -> None:
    result = vote([read(1, "XX12"), read(2, "XX12")])  # XX is no region
    assert (result.text, result.parsed, result.reason) == ("XX12", False, None)
