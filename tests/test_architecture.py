"""The import graph runs one way: stages share the neutral core and their own configs, never
reach up into the stage that uses them, and the back office speaks to the box only through the
contract, the ledger and the MQTT connection. A new arrow fails here until it is written down
in ALLOWED, which is the architecture (README "Architecture" draws it).

Also: the neutral core imports only the standard library and numpy; the settings import stage
configs only; the rules engine and the signal parser load no OpenCV, ONNX Runtime, tracker or
MQTT client (checked in a fresh interpreter, so an indirect import is caught too); and every
file stays small enough to read.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("edge", "backoffice")

# Unit → the units it may import. A unit is a top-level module or subpackage of edge/ (named
# without "edge."), or "backoffice"; an entry "a.b" allows that one module only. Every unit may
# import itself, "core" and "errors".
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "errors": set(),
    "geometry": set(),
    "imaging": set(),
    "footprint": {"geometry"},
    "backoff": set(),
    "paths": set(),
    "sources": {"backoff"},
    "webguard": set(),
    "clock": set(),
    "shutdown": set(),
    "logs": set(),
    "watchdog": set(),
    "metrics": set(),
    "config": {"geometry"},
    "overlay": {"config", "geometry"},  # the site drawn on a frame: evidence pictures, calibration previews
    "contract": set(),
    "mqtt": {"backoff"},
    "ledger": set(),
    # The stages, in the order a frame meets them.
    "detect": {"config", "geometry", "footprint", "sources"},
    "track": {"geometry", "footprint"},
    "tamper": {"config"},  # the view watch: the site's stop lines and lanes are where drift is measured
    "rules": {"config", "geometry", "plates.indonesia"},  # the plate grammar: parity and exemptions
    "plates": {"geometry", "imaging", "paths", "detect.config", "detect.base", "detect.yolo"},
    "evidence": {"config", "geometry", "imaging", "overlay", "ledger", "plates", "sources", "clock", "privacy"},
    # Redaction (issue 16): the bundled detectors, run on evidence frames only.
    "privacy": {"detect.config", "detect.centernet", "detect.yolo", "imaging", "paths", "plates.config"},
    "delivery": {"contract", "ledger", "mqtt", "backoff", "clock"},
    # Configs only: every stage keeps a light config module.
    "settings": {"paths", "delivery.config", "detect.config", "evidence.config", "ledger.config", "rules.config",
                 "track.config", "logs", "metrics.config", "tamper.config"},
    # Wiring: the stages; then start-up and delivery; then the command line.
    "pipeline": {"config", "detect", "track", "rules", "plates", "evidence", "ledger", "footprint", "sources",
                 "settings", "tamper"},
    "app": {"pipeline", "settings", "config", "delivery", "contract", "evidence", "ledger", "plates", "sources",
            "clock", "metrics", "privacy"},
    "calibrate": {"config", "geometry", "overlay", "paths", "sources", "webguard", "tamper.reference"},
    "cli": {"app", "pipeline", "settings", "calibrate", "config", "evidence", "ledger", "mqtt", "paths", "sources",
            "shutdown", "logs", "selftest", "watchdog"},
    # Looks at each part the box depends on, as the box uses it; writes no evidence, takes no chain lock.
    "selftest": {"app", "settings", "config", "detect", "plates", "sources", "ledger", "clock", "mqtt", "delivery",
                 "backoff", "paths"},
    "backoffice": {"contract", "ledger", "mqtt", "backoff", "webguard"},
}
BASE = {"core", "errors"}


def unit_of(module: str) -> str:
    """'edge.rules.engine' → 'rules', 'edge.core' → 'core', 'backoffice.store' → 'backoffice'."""
    parts = module.split(".")
    return "backoffice" if parts[0] == "backoffice" else parts[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import of our own packages, TYPE_CHECKING ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in PACKAGES]
    return found


def allows(importer: str, imported: str) -> bool:
    source, target = unit_of(importer), unit_of(imported)
    if source == target or target in BASE:
        return True
    dotted = imported.removeprefix("edge.")
    return any(dotted == arrow or dotted.startswith(arrow + ".") for arrow in ALLOWED.get(source, ()))


def wrong_arrows(paths: list[Path]) -> list[str]:
    wrong = []
    for path in paths:
        importer = module_name(path)
        for line, imported in imports_of(path):
            if not allows(importer, imported):
                wrong.append(f"{path.relative_to(ROOT)}:{line} {importer} → {imported}")
    return wrong


SOURCES = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_unit_is_written_down() -> None:
    units = {unit_of(module_name(p)) for p in SOURCES if module_name(p) not in PACKAGES}
    assert units <= set(ALLOWED), f"units without allowed arrows: {sorted(units - set(ALLOWED))}"


def test_no_module_imports_against_the_arrows() -> None:
    wrong = wrong_arrows(SOURCES)
    assert not wrong, "imports against the architecture (tests/test_architecture.py ALLOWED):\n" + "\n".join(wrong)


def test_a_new_wrong_arrow_is_caught(tmp_path: Path) -> None:
    """The check itself: rules reaching into evidence, or the back office into delivery, fail."""
    assert not allows("edge.rules.engine", "edge.evidence.schedule")
    assert not allows("edge.rules.scene", "edge.calibrate.app")
    assert not allows("edge.detect.signal", "edge.rules.engine")
    assert not allows("backoffice.receiver", "edge.delivery.publisher")
    assert not allows("edge.settings", "edge.evidence.schedule")
    assert not allows("edge.core", "edge.config.site")
    assert allows("edge.rules.odd_even", "edge.plates.indonesia") and not allows("edge.rules.x", "edge.plates.reader")
    assert allows("edge.pipeline", "edge.rules.engine") and allows("edge.rules.engine", "edge.core")


def test_the_core_imports_only_the_standard_library_and_numpy() -> None:
    path = ROOT / "edge" / "core.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert roots <= set(sys.stdlib_module_names) | {"numpy", "__future__"}, roots


HEAVY = ("cv2", "onnxruntime", "trackers", "paho", "supervision", "scipy", "rapidocr_onnxruntime", "torch")


@pytest.mark.parametrize(("modules", "forbidden"), [
    (["edge.rules.engine", "edge.detect.signal_controller"], HEAVY),
    (["edge.settings"], (*HEAVY, "cryptography")),
])
def test_light_modules_load_nothing_heavy_in_a_fresh_interpreter(modules: list[str],
                                                                 forbidden: tuple[str, ...]) -> None:
    code = (f"import sys\nfor m in {modules!r}: __import__(m)\n"
            f"print(__import__('json').dumps(sorted(m for m in {forbidden!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120)
    assert json.loads(out.stdout) == [], f"importing {modules} loads {out.stdout.strip()}"


MAX_LINES, MAX_FUNCTION_LINES = 400, 60


def test_files_and_functions_stay_small() -> None:
    """The box, the back office and the evaluation (scripts/ are one-off generators, not held to it)."""
    sources = SOURCES + sorted((ROOT / "evaluation").rglob("*.py"))
    long_files = [f"{p.relative_to(ROOT)}: {n} lines" for p in sources
                  if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    long_functions = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert not long_files and not long_functions, "\n".join(long_files + long_functions)
