"""The published contract: JSON Schemas are valid draft 2020-12, the AsyncAPI document hangs together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from edge.ledger.signing import SCHEMA_FILES, load_schema

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"


@pytest.mark.parametrize("schema_id", sorted(SCHEMA_FILES))
def test_schemas_are_valid_draft_2020_12(schema_id: str) -> None:
    schema = load_schema(schema_id)
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == schema_id and schema["properties"]["schema"] == {"const": schema_id}


def test_unknown_schema_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown schema"):
        load_schema("etle.violation/99")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_asyncapi_lists_the_design_topics_and_its_references_resolve() -> None:
    doc = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0"
    assert {c["address"] for c in doc["channels"].values()} == {
        f"etle/v1/{{site}}/{{camera}}/{topic}" for topic in
        ("violation", "media/{event_id}/{name}", "status", "receipt", "signal", "original/request",
         "original/{event_id}/{name}", "original/answer")}
    for ref in _refs(doc):
        target, _, pointer = ref.partition("#")
        if target:
            assert (ASYNCAPI.parent / target).is_file(), ref
            continue
        node = doc
        for part in pointer.strip("/").split("/"):
            node = node[part]
    for operation in doc["operations"].values():
        assert operation["action"] in {"send", "receive"}
