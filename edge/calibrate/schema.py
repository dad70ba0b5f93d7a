"""JSON Schema of the site file, generated from the pydantic model.

The committed copy (`calibration/site.schema.json`) is for people and tools outside this
package; a test fails when it drifts from the model. Rewrite it with
``python -m edge.calibrate.schema`` (``--check`` only compares).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge.config.site import SiteFile
from edge.paths import PROJECT_ROOT

SCHEMA_ID = "urn:etle:schema:etle.site:1"
# Where the committed copy lives in a checkout (not in an installed wheel: it is for the repo).
REPO_SCHEMA = PROJECT_ROOT / "calibration" / "site.schema.json"


def site_schema() -> dict[str, Any]:
    """The schema served to the calibration page and committed to the repo."""
    body = SiteFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **body,
        "title": "etle.site/1",
        "description": "A site file (calibration/<site>.yaml): one camera at one intersection, its "
        "calibrated geometry in the camera's pixels and the ground-plane homography. Custom keys: "
        "x-draw marks geometry drawn on the frame, x-ref names the list whose ids a field refers to.",
    }


def schema_text() -> str:
    return json.dumps(site_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.calibrate.schema", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO_SCHEMA, help="where to write (default: the repo copy)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out} is stale: run python -m edge.calibrate.schema", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
