"""The ledger's settings and the names of its files. Pydantic only: `edge.settings` loads no crypto."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PRIVATE_KEY_FILE = "device.key.pem"
CHAIN_FILE = "chain.json"


class SigningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_dir: Path | None = Field(
        default=None, title="Device key folder",
        description=f"Made by `etle-edge keygen`: {PRIVATE_KEY_FILE} and {CHAIN_FILE} (the sequence "
        "state). Null: evidence is written unsigned and must not be sent.",
    )
