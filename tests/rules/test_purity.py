"""Rules are pure: they import no drawing, no video, no I/O stages, no MQTT."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "edge" / "rules"
FORBIDDEN = ("cv2", "paho", "edge.evidence", "edge.delivery", "edge.sources", "sqlite3", "socket")


@pytest.mark.parametrize("module", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_rule_module_imports_nothing_impure(module: Path) -> None:
    tree = ast.parse(module.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    bad = [n for n in names if n.startswith(FORBIDDEN)]
    assert not bad, f"{module.name} imports {bad}"
