"""Multi-frame voting: several reads of one plate become one text, character by character.

Reads first vote on how many characters the plate has (weighted by their mean confidence),
so a read that dropped or doubled a character is outvoted instead of shifting every position
after it; that count must be the majority's, or the frames disagree. The reads of that length
are then pooled per position: each candidate's probability is averaged over them, and so is
the spacing evidence between neighbouring characters. The TNKB reading of the pooled
evidence is the result, so one frame's clear glyph and another's clear spacing add up. When
the pool is no valid plate, the best character per position is returned, marked as such. A
tie, or no majority, gives no text: a plate is never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from edge.plates.indonesia import PlateColour, PlateText, gap_strengths, normalize_evidence
from edge.plates.ocr import TextRead

__all__ = ["FrameRead", "Vote", "vote"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class FrameRead:
    """One frame's read of the plate."""

    frame_index: int
    read: TextRead  # what the recogniser read: characters, candidates, positions
    plate: PlateText | None  # this frame alone as a TNKB plate, after position-aware fixes
    box: tuple[float, float, float, float]  # the plate in frame pixels
    detector_confidence: float
    colour: PlateColour

    @property
    def raw(self) -> str:
        return self.read.text

    @property
    def confidences(self) -> tuple[float, ...]:
        return self.read.confidences


@dataclass(frozen=True, slots=True)
class Vote:
    """The text the reads agree on; empty with a `reason` when they do not (or there are none)."""

    text: str = ""
    char_confidences: tuple[float, ...] = ()
    votes: int = 0
    parsed: bool = False  # the pooled reads make a valid TNKB plate
    reason: str | None = None
    voters: tuple[FrameRead, ...] = ()

    @property
    def confidence(self) -> float:
        """The weakest character's: one unreadable letter makes the plate unreadable."""
        return min(self.char_confidences) if self.char_confidences else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _pool(group: Sequence[FrameRead]) -> tuple[list[list[tuple[str, float]]], tuple[float, ...]]:
    """Per position, candidates with their probability averaged over the reads (best first);
    per gap, the spacing evidence averaged over the reads that have it."""
    chars = []
    for position in range(len(group[0].raw)):
        total: defaultdict[str, float] = defaultdict(float)
        for read in group:
            cand = read.read.characters[position]
            for char, p in zip(cand.chars, cand.confidences, strict=True):
                total[char] += p / len(group)
        chars.append(sorted(((c, round(p, 6)) for c, p in total.items()), key=lambda cp: (-cp[1], cp[0])))
    strengths = [s for s in (gap_strengths(r.read.gaps) for r in group) if s]
    pooled = tuple(_mean([s[i] for s in strengths]) for i in range(len(strengths[0]))) if strengths else ()
    return chars, pooled


def vote(reads: Sequence[FrameRead]) -> Vote:
    """Combine reads of one plate.

    >>> from edge.plates.ocr import CharCandidates
    >>> def r(i, raw, conf=0.9):
    ...     chars = tuple(CharCandidates((c,), (conf,), 3 * k) for k, c in enumerate(raw))
    ...     return FrameRead(i, TextRead(chars), None, (0, 0, 1, 1), 0.8, "white")
    >>> v = vote([r(1, "B1234XYZ"), r(2, "B1284XYZ", 0.6), r(3, "B1234XYZ")])
    >>> v.text, v.votes, v.char_confidences[3] < v.char_confidences[0]
    ('B1234XYZ', 3, True)
    >>> vote([r(1, "B1234XYZ"), r(2, "B1284XYZ")]).reason
    'the reads disagree at character 4: 3 or 8'
    >>> vote([r(1, "B1234XYZ"), r(2, "B123XYZ")]).reason
    'the reads disagree on the number of characters (7 or 8)'
    >>> vote([]).reason
    'no text was read'
    """
    texts = [r for r in reads if r.raw]
    if not texts:
        return Vote(reason="no text was read")
    weight: defaultdict[int, float] = defaultdict(float)
    for read in texts:
        weight[len(read.raw)] += _mean(read.confidences)
    ranked = sorted(weight, key=lambda n: (-weight[n], n))
    length = ranked[0]
    group = [r for r in texts if len(r.raw) == length]
    if 2 * len(group) <= len(texts):
        lengths = " or ".join(str(n) for n in ranked)
        return Vote(reason=f"the reads disagree on the number of characters ({lengths})")
    chars, strengths = _pool(group)
    reading = normalize_evidence(chars, strengths)
    text = reading.plate.text if reading is not None else "".join(c[0][0] for c in chars)
    # The usual misread drops a lone letter at the end: a longer plate read in another frame
    # that contains this one means the majority may have lost it.
    longer = next((r.plate.text for r in texts if r.plate is not None and len(r.plate.text) > length
                   and text in r.plate.text), None)
    if longer is not None:
        return Vote(reason=f"a frame reads more characters than the majority: {longer} or {text}")
    for position, (cands, chosen) in enumerate(zip(chars, text, strict=True)):
        rival = _tie(cands, chosen, kind_only=reading is not None)
        if rival is not None:
            return Vote(reason=f"the reads disagree at character {position + 1}: {chosen} or {rival}")
    if reading is not None:
        return Vote(text, reading.confidences, len(group), True, None, tuple(group))
    return Vote(text, tuple(round(c[0][1], 4) for c in chars), len(group), False, None, tuple(group))


def _tie(cands: Sequence[tuple[str, float]], chosen: str, kind_only: bool) -> str | None:
    """A candidate as likely as the chosen character (of its kind, where the format fixed the
    kind: a pooled 0/O tie in a number is no tie, the position says 0)."""
    mine = dict(cands).get(chosen, 0.0)
    for char, p in cands:
        if char != chosen and abs(p - mine) < _EPS and (not kind_only or char.isalpha() == chosen.isalpha()):
            return char
    return None
