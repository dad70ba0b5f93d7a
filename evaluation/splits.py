"""The seeds of each split. `eval` is never used for tuning: tune on `tune`, report on `eval`."""

from __future__ import annotations

SPLITS: dict[str, tuple[int, ...]] = {
    "tune": tuple(range(101, 109)),
    "eval": tuple(range(5001, 5039)),  # 38 scenes: >= 300 violations and >= 300 twins
    "ci": (9001, 9002),
}


def seeds_of(split: str) -> list[int]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return list(SPLITS[split])
