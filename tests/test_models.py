"""Every bundled model is exactly the file models/PROVENANCE.md describes."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import MODELS

LINE = re.compile(r"^- sha256 \((?P<name>[^)]+)\): (?P<hex>[0-9a-f]{64})$", re.MULTILINE)


def _declared() -> dict[str, str]:
    return {m["name"]: m["hex"] for m in LINE.finditer((MODELS / "PROVENANCE.md").read_text())}


def test_every_model_file_is_declared() -> None:
    files = {p.name for p in MODELS.glob("*.onnx")}
    assert files, "no ONNX model in models/"
    assert files == set(_declared())


@pytest.mark.parametrize("name", sorted(_declared()))
def test_model_sha256_matches_provenance(name: str) -> None:
    digest = hashlib.sha256((MODELS / name).read_bytes()).hexdigest()
    assert digest == _declared()[name]
