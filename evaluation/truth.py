"""truth.json of a rendered scene (format: evaluation/README.md) and the plates vehicles wear."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evaluation.scene import Setting
from evaluation.schedule import Placed
from evaluation.vehicles import boxes_many

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))  # plate_synth lives with the other plate scripts

from plate_synth import LETTERS, PlateSpec  # type: ignore[import-not-found]  # noqa: E402

from edge.plates.indonesia import PlateText  # noqa: E402
from edge.plates.regions import REGIONS  # noqa: E402

F64 = npt.NDArray[np.float64]
__all__ = ["PlateSpec", "compact_json", "make_plate", "truth_dict"]


def make_plate(rng: np.random.Generator, p: Placed, st: Setting) -> PlateSpec:
    """A valid TNKB plate; its last digit obeys today's odd-even rule unless the act is to break it."""
    cls = p.plan.body.cls
    colour = "yellow" if cls in ("bus", "truck") else str(rng.choice(["black", "white"], p=[0.5, 0.5]))
    code = str(rng.choice(sorted(REGIONS)))
    digits = int(rng.choice([2, 3, 4], p=[0.15, 0.35, 0.5]))
    number = list(str(rng.integers(10 ** (digits - 1), 10**digits)))
    ok_parity = st.date.day % 2
    parity = 1 - ok_parity if p.plan.wrong_parity else ok_parity
    last = int(number[-1])
    if last % 2 != parity:
        number[-1] = str((last + 1) % 10)
    suffix = "".join(rng.choice(list(LETTERS), int(rng.integers(1, 4))))
    expiry = f"{int(rng.integers(1, 13)):02d}.{int(rng.integers(27, 32))}"
    kind = "motorcycle" if cls == "motorcycle" else "car"
    return PlateSpec(PlateText(code, "".join(number), suffix), colour, expiry, kind)


def signal_json(st: Setting) -> dict[str, list[dict[str, object]]]:
    return {"sig-1": [{"state": s, "frames": [a, b]} for s, a, b in st.signals.phases]}


def vehicle_json(st: Setting, p: Placed, plate: PlateSpec | None, visible: F64) -> dict[str, object]:
    box, plate_px = boxes_many(st.cam, p.plan.body, p.track.xs, p.track.ys, p.headings)
    seen = np.nonzero(p.track.box_w > 0)[0]
    lanes = sorted({st.lay.lane_id(k) for k in (st.lay.lane_at(float(x)) for x in p.track.xs[seen]) if k >= 0},
                   key=lambda s: int(s[5:]))
    boxes = [[int(f), *(round(float(v), 1) for v in box[f]), round(float(visible[f]), 3)] for f in seen]
    return {
        "id": p.id, "class": p.plan.body.cls, "sprite": p.plan.body.sprite, "behaviour": p.plan.behaviour,
        "near_miss": p.plan.near_miss,
        "plate": None if plate is None else {"text": plate.plate.text, "formatted": plate.plate.formatted,
                                             "colour": plate.colour},
        "lanes": lanes,
        "frames": [int(seen[0]), int(seen[-1])] if len(seen) else None,
        "speed_kmh": round(p.plan.cruise_ms * 3.6, 1),
        "charges": [c.to_json() for c in p.charges],
        "size_m": [p.plan.body.width, p.plan.body.length, p.plan.body.height],
        "boxes": boxes,
        "plate_px": [[int(f), round(float(plate_px[f]), 1)] for f in seen if plate is not None and plate_px[f] > 0],
        "ground_m": [[int(f), round(float(p.track.xs[f]), 3), round(float(p.track.ys[f]), 3)] for f in seen],
    }


def truth_dict(st: Setting, placed: list[Placed], plates: dict[str, PlateSpec | None],
               visible: dict[str, F64]) -> dict[str, object]:
    cam = st.cam
    return {
        "schema": "etle.eval.truth/1", "seed": st.seed, "split": st.split, "clip": "clip.mp4", "site": "site.yaml",
        "fps": st.fps, "frames": st.frames, "resolution": [cam.width, cam.height], "start_time": st.start_time,
        "camera": {"height_m": cam.height_m, "pitch_deg": cam.pitch_deg, "yaw_deg": cam.yaw_deg,
                   "roll_deg": cam.roll_deg, "focal_px": cam.focal_px, "x_m": cam.x_m},
        "lighting": st.lighting,
        "layout": {"lane_widths_m": list(st.lay.lane_widths), "busway": st.lay.busway, "stop_y_m": st.lay.stop_y,
                   "junction_y_m": round(st.lay.junction_y, 3), "solid_x_m": st.lay.solid_x,
                   "solid_y_m": [round(v, 3) for v in st.lay.solid_y], "zone_x_m": list(st.lay.zone_x),
                   "zone_y_m": [round(v, 3) for v in st.lay.zone_y], "max_dwell_s": st.lay.max_dwell_s,
                   "signal_mount": st.lay.signal_mount,
                   "odd_even_lanes": [st.lay.lane_id(k) for k in st.ctx.odd_even_lanes]},
        "signals": signal_json(st),
        "vehicles": [vehicle_json(st, p, plates[p.id], visible[p.id]) for p in placed],
    }


def compact_json(truth: dict[str, object]) -> str:
    """Indented JSON with every list of numbers on one line: one box per line, diffable."""
    text = json.dumps(truth, indent=1)
    innermost = r'\[[^\[\]{}"]*\]'
    return re.sub(innermost, lambda m: "[" + " ".join(m.group(0)[1:-1].split()) + "]", text) + "\n"
