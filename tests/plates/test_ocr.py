"""The OCR port's pure parts: CTC decoding, the candidates, the main line, lone characters."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.plates.ocr import CharCandidates, TextRead, ctc_decode, extend_line, main_line, prepare

LABELS = ["<blank>", "B", "8", "1", "I", " ", "é"]


def steps(*rows: list[float]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


def test_ctc_collapses_repeats_and_keeps_candidates() -> None:
    probs = steps(
        [0.1, 0.7, 0.2, 0, 0, 0, 0],  # B (8 runner-up)
        [0.1, 0.8, 0.1, 0, 0, 0, 0],  # B again: the same character
        [0.9, 0.1, 0, 0, 0, 0, 0],  # blank
        [0.1, 0.6, 0.3, 0, 0, 0, 0],  # B: a new character after the blank
        [0.0, 0, 0, 0.55, 0.45, 0, 0],  # 1 (I runner-up)
    )
    read = ctc_decode(probs, LABELS)
    assert read.text == "BB1"
    assert read.characters[0] == CharCandidates(("B", "8"), (0.8, 0.1), 1)  # the peak step, 0.8
    assert read.characters[2].chars == ("1", "I") and read.confidences == (0.8, 0.6, 0.55)
    assert read.gaps == (2.0, 1.0)


def test_ctc_separators_split_groups_but_are_not_text() -> None:
    probs = steps([0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0, 0])
    assert ctc_decode(probs, LABELS).text == "B8"


def test_ctc_drops_symbols_that_cannot_be_on_a_plate() -> None:
    probs = steps([0.1, 0, 0, 0, 0, 0, 0.9], [0.2, 0.3, 0, 0, 0, 0, 0.5])
    read = ctc_decode(probs, LABELS)
    # Step 0: only the blank is left. Step 1: renormalised without é, B wins (0.3/0.5).
    assert read.text == "B" and read.confidences == (0.6,)


def test_ctc_of_nothing() -> None:
    assert ctc_decode(np.zeros((0, len(LABELS))), LABELS) == TextRead()
    assert ctc_decode(steps([1, 0, 0, 0, 0, 0, 0]), LABELS).text == ""


def test_candidates_must_match_confidences() -> None:
    with pytest.raises(ValueError, match="as many confidences"):
        CharCandidates(("B", "8"), (0.9,))
    with pytest.raises(ValueError):
        CharCandidates((), ())


def quad(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def test_main_line_merges_words_and_leaves_the_expiry_line() -> None:
    words = [quad(10, 10, 40, 50), quad(60, 12, 150, 52), quad(170, 11, 230, 50), quad(90, 60, 130, 72)]
    assert main_line(words).tolist() == quad(10, 10, 230, 52).tolist()  # type: ignore[union-attr]
    assert main_line([]) is None


def test_extend_line_takes_in_a_lone_letter_but_not_the_border() -> None:
    plate = np.full((80, 320, 3), 20, np.uint8)  # a black plate with white letters
    cv2.rectangle(plate, (4, 4), (315, 75), (230, 230, 230), 2)  # the border
    for x in (30, 56, 110, 136, 162, 188):
        cv2.rectangle(plate, (x, 14), (x + 18, 54), (230, 230, 230), -1)  # "XX NNNN"
    cv2.rectangle(plate, (262, 14), (268, 54), (230, 230, 230), -1)  # a lone "I" after a wide gap
    detected = quad(28, 12, 208, 56)  # the text detector found the first two words only
    x1, _ = extend_line(plate, detected).min(axis=0)
    x2, _ = extend_line(plate, detected).max(axis=0)
    assert x1 == pytest.approx(28) and x2 == pytest.approx(269) and x2 < 313


def test_prepare_fixes_width_and_stretches_contrast() -> None:
    dim = np.full((20, 60, 3), 40, np.uint8)
    dim[5:15, 10:50] = 70
    out = prepare(dim, 240)
    assert out.shape == (80, 240, 3) and out.min() == 0 and out.max() == 255
    flat = prepare(np.full((20, 60, 3), 90, np.uint8), 120)
    assert flat.shape == (40, 120, 3) and int(flat.max()) == 90  # nothing to stretch
