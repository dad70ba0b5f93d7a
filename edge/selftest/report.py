"""The selftest's report: a table for the technician, or JSON for a machine (one document,
`{"ok": bool, "checks": [{"name", "status", "ok", "detail", "seconds"}, ...]}`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from edge.selftest.probe import Check

SHOWN = {"pass": ("PASS", "green"), "fail": ("FAIL", "bold red"), "skip": ("skip", "yellow")}


def all_ok(checks: Sequence[Check]) -> bool:
    return all(check.ok for check in checks)


def verdict(checks: Sequence[Check]) -> str:
    failures = sum(not check.ok for check in checks)
    skips = sum(check.status == "skip" for check in checks)
    left_out = f", {skips} skipped" if skips else ""
    if failures:
        return f"selftest: {failures} of {len(checks)} checks FAILED{left_out}"
    return f"selftest: all {len(checks) - skips} checks passed{left_out}"


def table(checks: Sequence[Check]) -> Table:
    out = Table(title=verdict(checks), title_justify="left")
    out.add_column("result", no_wrap=True)
    out.add_column("check", no_wrap=True)
    out.add_column("detail", overflow="fold")
    out.add_column("s", justify="right", no_wrap=True)
    for check in checks:
        word, style = SHOWN[check.status]
        # Text, not markup: a detail holds paths and brackets ("[771,472,929,573]") that markup would eat.
        out.add_row(Text(word, style=style), check.name, Text(check.detail), f"{check.seconds:.1f}")
    return out


def as_json(checks: Sequence[Check]) -> str:
    return json.dumps({
        "ok": all_ok(checks),
        "checks": [{"name": c.name, "status": c.status, "ok": c.ok, "detail": c.detail,
                    "seconds": round(c.seconds, 3)} for c in checks],
    }, indent=2)
