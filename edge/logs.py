"""The box's log: plain lines for a person at a terminal, or one JSON object per line for the
journal and log shippers (`format: json`), each naming the device, site and camera it came from.

Standard `logging` all the way: every module logs with `logging.getLogger(__name__)` and `extra=`
fields (an `event_id`, a `seq`); only the output format is chosen here. Fields whose name says
secret are dropped, so a careless `extra={"password": ...}` never reaches a log shipper; the box
never logs key material in the first place.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# LogRecord's own attributes: anything else on a record came in through `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_SECRET_WORDS = ("password", "secret", "private", "token", "passphrase")


class LoggingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", title="Lowest level logged")
    format: Literal["text", "json"] = Field(
        default="text", title="Line format",
        description="text: for a terminal; json: one object per line (ts, level, logger, msg, device_id, site, "
        "camera, and any extra fields such as event_id), for journald or a log shipper.",
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record; `context` (device, site, camera) on every line."""

    def __init__(self, context: Mapping[str, str]) -> None:
        super().__init__()
        self._context = dict(context)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "msg": record.getMessage(), **self._context,
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not any(word in name.lower() for word in _SECRET_WORDS):
                line[name] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (a test harness swaps it), never to a stale one."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(config: LoggingConfig, context: Mapping[str, str]) -> None:
    """The root logger writes to stderr at `config.level` in `config.format`; a second call replaces
    the handler the first one added (one log per process) and leaves others alone."""
    handler = _Stderr()
    if config.format == "json":
        handler.setFormatter(JsonFormatter(context))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.level)
