"""Typed errors. Each says what went wrong and what to do about it."""

from __future__ import annotations


class EtleError(Exception):
    """Base of every error etle-edge raises on purpose."""


class SiteFileError(EtleError):
    """The site file cannot be used. `problems` holds one line per problem, each naming the field."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"site file {path} is invalid ({len(problems)} problem(s)):\n{lines}")


class SourceError(EtleError):
    """A frame source cannot be opened or read (missing file, corrupt video, dead stream)."""


class ModelError(EtleError):
    """A model file is missing, unreadable, or its tensors are not what the backend expects."""


class EvidenceError(EtleError):
    """Evidence could not be written. The violation is not lost: the caller keeps it and reports."""
