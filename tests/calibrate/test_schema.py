"""The committed JSON Schema of the site file is the model's, and it documents every field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from edge.calibrate.schema import REPO_SCHEMA, main, schema_text, site_schema


def test_committed_schema_is_in_sync() -> None:
    assert REPO_SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "calibration/site.schema.json is stale: run .venv/bin/python -m edge.calibrate.schema")


def test_check_mode(tmp_path: Path) -> None:
    stale = tmp_path / "site.schema.json"
    stale.write_text("{}")
    assert main(["--out", str(stale), "--check"]) == 1
    assert main(["--out", str(stale)]) == 0
    assert main(["--out", str(stale), "--check"]) == 0


def test_demo_site_validates_against_the_schema(demo_site_path: Path) -> None:
    data = yaml.safe_load(demo_site_path.read_text())
    data["camera"]["start_time"] = str(data["camera"]["start_time"])  # YAML reads it as a string already
    jsonschema.Draft202012Validator(site_schema()).validate(data)


def _fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [(f"SiteFile.{k}", v) for k, v in schema["properties"].items()]
    for name, model in schema["$defs"].items():
        out += [(f"{name}.{k}", v) for k, v in model.get("properties", {}).items()]
    return out


def test_every_field_has_a_title_and_a_description() -> None:
    schema = json.loads(schema_text())

    def documented(field: dict[str, Any], key: str) -> bool:
        # pydantic leaves out a field's title or description where its model's own says the same
        target = schema["$defs"][field["$ref"].split("/")[-1]] if "$ref" in field else {}
        return bool(field.get(key) or target.get(key))

    missing = [name for name, field in _fields(schema) if not documented(field, "title")
               or not documented(field, "description")]
    assert missing == []
    assert all(model.get("description") for model in schema["$defs"].values())
    assert all(model.get("additionalProperties") is False for model in schema["$defs"].values())
