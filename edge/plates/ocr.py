"""The OCR port: a plate crop in, the main line's characters with candidates out.

Both backends run a text detector to find the lines on the crop, keep the plate's main line
(the tallest; the month.year line below it is smaller), and run their CTC recogniser on it.
We decode the recogniser's per-frame probabilities ourselves (`ctc_decode`) instead of taking
the library's string: that restricts the alphabet to plate characters and keeps, for every
character, its runner-up candidates and their probabilities, which the position-aware fixes
and the multi-frame vote use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PLATE_ALPHABET",
    "CharCandidates",
    "Recognizer",
    "TextRead",
    "crop_line",
    "ctc_decode",
    "main_line",
]

PLATE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
Quad = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class CharCandidates:
    """One character of a read: candidates best first, with their probabilities (0–1), and
    where along the line it was read (the recogniser's time step), which shows the gaps
    between the plate's groups."""

    chars: tuple[str, ...]
    confidences: tuple[float, ...]
    step: int = 0

    def __post_init__(self) -> None:
        if not self.chars or len(self.chars) != len(self.confidences):
            raise ValueError(f"need as many confidences as candidates (≥ 1), got {self.chars} / {self.confidences}")

    @property
    def best(self) -> str:
        return self.chars[0]

    @property
    def confidence(self) -> float:
        return self.confidences[0]


@dataclass(frozen=True, slots=True)
class TextRead:
    """What a recogniser read on one crop; empty when it found no text."""

    characters: tuple[CharCandidates, ...] = ()

    @property
    def text(self) -> str:
        return "".join(c.best for c in self.characters)

    @property
    def confidences(self) -> tuple[float, ...]:
        return tuple(c.confidence for c in self.characters)

    @property
    def candidates(self) -> tuple[tuple[tuple[str, float], ...], ...]:
        """Per character, (candidate, probability) pairs best first."""
        return tuple(tuple(zip(c.chars, c.confidences, strict=True)) for c in self.characters)

    @property
    def gaps(self) -> tuple[float, ...]:
        """Distance between neighbouring characters, in recogniser steps."""
        return tuple(float(b.step - a.step) for a, b in zip(self.characters, self.characters[1:], strict=False))


class Recognizer(Protocol):
    """One method: a BGR plate crop in, the plate's main line out (never raises on a bad crop)."""

    def read(self, plate_image: NDArray[np.uint8]) -> TextRead: ...


def ctc_decode(
    probs: NDArray[np.floating], labels: Sequence[str], allowed: str = PLATE_ALPHABET, top_k: int = 3,
    separators: str = " ",
) -> TextRead:
    """Greedy CTC decoding restricted to `allowed`, with the top-k candidates per character.

    `probs` is [T, C] (softmax per time step), `labels[0]` the blank. Columns whose label is
    neither allowed nor a separator are dropped and each step renormalised, so a plate never
    reads as a symbol that cannot be on it. Separators (the space between the plate's groups)
    keep competing, so a gap is not forced into a letter, but are not part of the text. A
    character's confidence is its best step's probability.

    >>> p = np.array([[0.1, 0.8, 0.1, 0.0], [0.1, 0.7, 0.2, 0.0], [0.9, 0.05, 0.05, 0.0], [0.2, 0.0, 0.3, 0.5]])
    >>> read = ctc_decode(p, ["<blank>", "B", "8", "?"])
    >>> read.text, read.characters[0].chars, read.characters[1].confidences
    ('B8', ('B', '8'), (0.6,))
    """
    probs = np.asarray(probs, dtype=np.float64)
    keep = np.array([i == 0 or label in allowed or label in separators for i, label in enumerate(labels)])
    emit = np.array([i != 0 and label in allowed for i, label in enumerate(labels)])
    masked = np.where(keep[None, :], probs, 0.0)
    masked /= np.maximum(masked.sum(axis=1, keepdims=True), 1e-12)
    best = masked.argmax(axis=1)
    chars: list[CharCandidates] = []
    t = 0
    while t < len(best):
        if not emit[best[t]]:
            t += 1
            continue
        end = t
        while end + 1 < len(best) and best[end + 1] == best[t]:
            end += 1
        peak = t + int(masked[t : end + 1, best[t]].argmax())
        row = np.where(emit, masked[peak], 0.0)
        order = [int(i) for i in np.argsort(-row, kind="stable")[:top_k] if i == best[t] or row[i] > 0]
        chars.append(CharCandidates(tuple(labels[i] for i in order), tuple(round(float(row[i]), 4) for i in order),
                                    peak))
        t = end + 1
    return TextRead(tuple(chars))


def _quad_height(quad: Quad) -> float:
    return float((np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2)


def main_line(quads: Sequence[Quad]) -> Quad | None:
    """The main line's quad: the tallest text box merged with the boxes beside it.

    Text detectors often cut "B 1234 XYZ" into words; boxes at least 60 % as tall as the
    tallest whose vertical centre lies within it belong to the same line. The expiry line
    below is about a third as tall and is left out.

    >>> q = lambda x1, y1, x2, y2: np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)
    >>> main_line([q(10, 10, 40, 50), q(50, 12, 150, 52), q(60, 60, 100, 72)]).tolist()
    [[10.0, 10.0], [150.0, 10.0], [150.0, 52.0], [10.0, 52.0]]
    >>> main_line([]) is None
    True
    """
    if not quads:
        return None
    tallest = max(quads, key=_quad_height)
    top, bottom = float(tallest[:, 1].min()), float(tallest[:, 1].max())
    limit = 0.6 * _quad_height(tallest)
    line = [q for q in quads if _quad_height(q) >= limit and top <= float(q[:, 1].mean()) <= bottom]
    points = np.concatenate(line)
    x1, y1 = points.min(axis=0)
    x2, y2 = points.max(axis=0)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def crop_line(image: NDArray[np.uint8], quad: Quad, pad: float = 0.08) -> NDArray[np.uint8]:
    """The line's pixels, padded a little (recognisers clip the first and last stroke otherwise)."""
    height, width = image.shape[:2]
    x1, y1 = quad.min(axis=0)
    x2, y2 = quad.max(axis=0)
    dy = (y2 - y1) * pad
    dx = dy
    left, top = max(0, int(x1 - dx)), max(0, int(y1 - dy))
    right, bottom = min(width, int(np.ceil(x2 + dx))), min(height, int(np.ceil(y2 + dy)))
    return image[top:bottom, left:right]


def prepare(image: NDArray[np.uint8], width: int) -> NDArray[np.uint8]:
    """Fixed width (the text detector then sees every plate at one size) and full contrast.

    The stretch maps the 2nd–98th brightness percentiles to 0–255 on all channels alike, so
    colours keep their hue: a plate at dusk then looks like one by day to both models.
    """
    scale = width / max(1, image.shape[1])
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    resized = cv2.resize(image, (width, max(8, round(image.shape[0] * scale))), interpolation=interpolation)
    grey = cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY)
    low, high = np.percentile(grey, (2, 98))
    if high - low < 8:
        return np.asarray(resized, dtype=np.uint8)
    stretched = (resized.astype(np.float32) - float(low)) * (255.0 / float(high - low))
    return np.asarray(np.clip(stretched, 0, 255), dtype=np.uint8)


def extend_line(image: NDArray[np.uint8], quad: Quad) -> Quad:
    """Widen the main line to the lone characters the text detector left out.

    Text detectors find words; a single letter after a wide gap ("L 8687 W") is often missed,
    and the plate would lose its code or its suffix. Here the crop is binarised and the
    letters inside the detected line give the letter height and top; a blob outside it joins
    when it matches them, is at least a stroke wide, and lies within 1.5 line heights.
    Pieces of the plate's border are thinner or shorter, so they never join.
    """
    x1, y1 = (float(v) for v in quad.min(axis=0))
    x2, y2 = (float(v) for v in quad.max(axis=0))
    height = y2 - y1
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    top, bottom, left, right = max(0, int(y1)), int(np.ceil(y2)), max(0, int(x1)), int(np.ceil(x2))
    inside = grey[top:bottom, left:right]
    if inside.size == 0:
        return quad
    threshold, _ = cv2.threshold(inside, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Just above and below the line is plate background: the letters are the other tone.
    rim = np.concatenate([grey[max(0, top - 3) : top, left:right].reshape(-1),
                          grey[bottom : bottom + 3, left:right].reshape(-1)])
    background = float(np.median(rim)) if rim.size else float(np.median(inside))
    binary = ((grey > threshold) if background <= threshold else (grey <= threshold)).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    boxes = [(float(bx), float(by), float(bw), float(bh)) for bx, by, bw, bh, _ in stats[1:]]
    letters = [b for b in boxes if x1 <= b[0] + b[2] / 2 <= x2 and 0.4 * height <= b[3] <= 1.2 * height
               and y1 - 0.2 * height <= b[1] and b[1] + b[3] <= y2 + 0.2 * height]
    if len(letters) < 2:
        return quad  # no letters to compare with: keep what the detector found
    letter_h = float(np.median([b[3] for b in letters]))
    letter_top = float(np.median([b[1] for b in letters]))
    # Same top and height as the letters; up to a third taller for a Q's tail below the line.
    lone = [(bx, bx + bw) for bx, by, bw, bh in boxes
            if 0.85 * letter_h <= bh <= 1.35 * letter_h and abs(by - letter_top) <= 0.15 * letter_h
            and 0.1 * letter_h <= bw <= letter_h]
    changed = True
    while changed:
        changed = False
        for start, end in lone:
            if (x1 - 1.5 * height <= end < x1) or (x2 < start <= x2 + 1.5 * height):
                x1, x2 = min(x1, start), max(x2, end)
                changed = True
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)
