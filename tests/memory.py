"""Sizes of every collection an object reaches: how a test tells a bounded pipeline from one that
keeps something per frame, per vehicle or per violation for as long as it runs.

Paths name attributes; the entries of a dict or list are one path (`[*]`) whose size is the
largest among them, so a dict keyed by track id compares the same as the vehicles change. A deque
with a `maxlen` is bounded by construction and not measured.
"""

from __future__ import annotations

import threading
import types
from collections import deque
from collections.abc import Iterator, Mapping

import numpy as np

Sizes = dict[str, int]
_SKIP = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, np.ndarray,
         np.generic, str, bytes, int, float, bool, threading.Thread, type(threading.Lock()),
         type(threading.RLock()), threading.Event, threading.Condition)
_CONTAINERS = (dict, list, set, frozenset, deque, tuple)


def _children(obj: object) -> Iterator[tuple[str, object]]:
    if isinstance(obj, Mapping):
        for value in list(obj.values()):
            yield "[*]", value
    elif isinstance(obj, _CONTAINERS):
        for value in list(obj):  # type: ignore[call-overload]
            yield "[*]", value
    else:
        names = list(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            names += [s for s in getattr(cls, "__slots__", ()) if isinstance(s, str)]
        for name in names:
            if not name.startswith("__"):
                try:
                    yield f".{name}", getattr(obj, name)
                except AttributeError:  # an empty slot
                    continue


def collection_sizes(root: object, max_depth: int = 12) -> Sizes:
    """The largest size seen at each path under `root` (objects met twice are walked once)."""
    sizes: Sizes = {}
    seen: set[int] = set()
    todo: list[tuple[str, object, int]] = [("", root, 0)]
    while todo:
        path, obj, depth = todo.pop()
        if obj is None or isinstance(obj, _SKIP) or id(obj) in seen or depth > max_depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, _CONTAINERS) and not (isinstance(obj, deque) and obj.maxlen is not None):  # bounded
            sizes[path] = max(sizes.get(path, 0), len(obj))  # type: ignore[arg-type]
        todo.extend((path + step, child, depth + 1) for step, child in _children(obj))
    return sizes


def grown(before: Sizes, after: Sizes, slack: int = 0) -> dict[str, tuple[int, int]]:
    """Paths larger in `after` than in `before` (by more than `slack`), with both sizes."""
    return {p: (before.get(p, 0), n) for p, n in after.items() if n > before.get(p, 0) + slack}
