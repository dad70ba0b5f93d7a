"""The view watch: is the camera still showing the scene it was calibrated on?

`ViewWatch.check(image, t_s)` runs the cheap checks (frozen, black, white) on every frame and
the geometric ones (moved view, blur, not the reference scene) every `check_every_s`; a result of
the geometric check holds until the next one. Time is the frame's capture time, so a clip replays
identically.

Fail-safe has hysteresis both ways: a fault must last `fault_after_s` (a bus passing in front of
the lens must not stop enforcement), and the view must then be good for `clear_after_s` before
judging resumes (a camera swinging in the wind must not flicker in and out).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.tamper.config import TamperConfig
from edge.tamper.measure import (
    Features,
    ViewMatch,
    blank_fault,
    features_of,
    match_view,
    mean_difference,
    sampled_grey,
    sharpness,
    shrunk_grey,
)

NO_REFERENCE = ("no reference frame for this calibration: view shift and blur are not checked (save the "
                "calibration again on the page)")
OFF = "the view watch is off (tamper.enabled: false)"


@dataclass(frozen=True, slots=True)
class ViewState:
    """The watch's verdict after one frame.

    `fail_safe`: issue no violation. `untrusted`: this very frame cannot be judged on, before any
    hysteresis: frozen, blank, or measured to have moved beyond tolerance (a view that merely fails
    to match, as when a bus fills the frame, is judged on until it lasts into fail-safe: the
    vehicles still visible are where they were). `faults`: what is wrong with this frame's view now, in words
    a technician acts on (empty while a fault-free view is being confirmed). `notes`: what the
    watch could not check, or how long until fail-safe starts or ends. The figures are the latest
    geometric check's (None before the first, or without a reference): `shift_px` in full-frame
    pixels at the anchors, `sharpness` relative to the reference's (1.0 = as sharp), `matches`
    the feature matches that agreed on the camera's motion.
    """

    fail_safe: bool
    faults: tuple[str, ...] = ()
    untrusted: bool = False
    notes: tuple[str, ...] = ()
    shift_px: float | None = None
    sharpness: float | None = None
    matches: int | None = None


@dataclass(frozen=True, slots=True)
class _Reference:
    size: tuple[int, int]  # (width, height) of the full frame
    scale: float  # full-frame pixels per matched pixel
    features: Features = field(repr=False)
    sharpness: float
    anchors: NDArray[np.float64] = field(repr=False)  # in matched pixels


@dataclass(frozen=True, slots=True)
class _Geometry:
    """One geometric check's outcome, held until the next."""

    t_s: float
    faults: tuple[str, ...]
    shift_px: float | None = None  # full-frame pixels; None unless the match was trustworthy
    sharpness: float | None = None
    matches: int | None = None


def _grid_anchors(size: tuple[int, int]) -> NDArray[np.float64]:
    width, height = size
    xs, ys = np.meshgrid([0.1 * width, 0.5 * width, 0.9 * width], [0.1 * height, 0.5 * height, 0.9 * height])
    return np.column_stack([xs.ravel(), ys.ravel()])


class ViewWatch:
    """Watches one camera's frames against the reference frame of its calibration.

    `reference`: the still the calibration was drawn on (BGR, full resolution), or None (then
    only frozen, black and white are checked, and every state says so). `anchors`: (n, 2)
    full-frame pixels where drift matters — `edge.tamper.reference.anchor_points` gives the
    stop lines' ends and the lanes' corners; empty: a 3×3 grid over the frame.
    """

    def __init__(self, reference: NDArray[np.uint8] | None, config: TamperConfig,
                 anchors: NDArray[np.float64]) -> None:
        self.config = config
        self._orb = cv2.ORB.create(nfeatures=config.features)
        self._reference: _Reference | None = None
        if reference is not None:
            size = (int(reference.shape[1]), int(reference.shape[0]))
            grey = shrunk_grey(reference, config.match_width)
            scale = size[0] / grey.shape[1]
            points = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
            self._reference = _Reference(size, scale, features_of(grey, self._orb), max(sharpness(grey), 1e-6),
                                         (points if len(points) else _grid_anchors(size)) / scale)
        self._previous: NDArray[np.uint8] | None = None
        self._unchanged_since = 0.0
        self._last_t: float | None = None
        self._geometry: _Geometry | None = None
        self._bad_since: float | None = None
        self._good_since: float | None = None
        self._fail_safe = False

    def check(self, image: NDArray[np.uint8], t_s: float) -> ViewState:
        """The verdict for this frame (BGR or grey), captured at `t_s` seconds."""
        if not self.config.enabled:
            return ViewState(fail_safe=False, notes=(OFF,))
        if self._last_t is not None and t_s < self._last_t:
            self._restart(t_s)  # the clock or the stream went back: earlier durations mean nothing
        self._last_t = t_s
        grid = sampled_grey(image, self.config.cheap_width)
        frozen = self._frozen_fault(grid, t_s)
        blank = blank_fault(grid, self.config.dark_level, self.config.bright_level, self.config.blank_share)
        if blank is not None:
            self._geometry = None  # a blank frame says nothing of the view; check it afresh once it returns
        elif frozen is None and self._reference is not None and self._due(t_s):
            self._geometry = self._check_geometry(self._reference, image, t_s)
        faults = tuple(f for f in (frozen, blank) if f is not None)
        geometry = self._geometry
        moved = geometry is not None and (geometry.shift_px or 0.0) > self.config.max_shift_px
        state = self._verdict(faults + (geometry.faults if geometry is not None else ()), t_s)
        return replace(state, untrusted=bool(faults) or moved)

    def _restart(self, t_s: float) -> None:
        self._unchanged_since = t_s
        self._geometry = None
        self._bad_since = t_s if self._bad_since is not None else None
        self._good_since = t_s if self._good_since is not None else None

    def _frozen_fault(self, grid: NDArray[np.uint8], t_s: float) -> str | None:
        if self._previous is None or mean_difference(grid, self._previous) > self.config.frozen_max_diff:
            self._unchanged_since = t_s
        self._previous = grid
        frozen_s = t_s - self._unchanged_since
        if frozen_s < self.config.frozen_after_s:
            return None
        return f"stream frozen for {frozen_s:.1f} s (the picture has not changed)"

    def _due(self, t_s: float) -> bool:
        return self._geometry is None or t_s - self._geometry.t_s >= self.config.check_every_s

    def _check_geometry(self, reference: _Reference, image: NDArray[np.uint8], t_s: float) -> _Geometry:
        size = (int(image.shape[1]), int(image.shape[0]))
        if size != reference.size:
            return _Geometry(t_s, (f"frame is {size[0]}x{size[1]} but the reference frame is "
                                   f"{reference.size[0]}x{reference.size[1]}: recalibrate on this camera",))
        grey = shrunk_grey(image, self.config.match_width)
        match = match_view(reference.features, features_of(grey, self._orb), reference.anchors)
        relative = sharpness(grey) / reference.sharpness
        faults, shift = self._match_faults(match, reference.scale)
        if relative < self.config.min_sharpness:
            faults += (f"image blurred (sharpness {relative:.0%} of the reference; fault under "
                       f"{self.config.min_sharpness:.0%}): lens out of focus, dirty or wet",)
        return _Geometry(t_s, faults, shift, relative, match.agreeing)

    def _match_faults(self, match: ViewMatch, scale: float) -> tuple[tuple[str, ...], float | None]:
        """The faults of a match, and its shift in full-frame pixels when the match can be trusted."""
        config = self.config
        if match.agreeing < config.min_matches:
            return (f"view does not match the reference: {match.agreeing} feature matches agree (need "
                    f"{config.min_matches}): lens blocked or camera turned away",), None
        if match.agreeing < config.min_inlier_ratio * match.matches:
            return (f"view does not match the reference: only {match.agreeing / match.matches:.0%} of "
                    f"{match.matches} feature matches agree (need {config.min_inlier_ratio:.0%})",), None
        shift = (match.shift_px or 0.0) * scale
        if shift > config.max_shift_px:
            return (f"view shifted {shift:.0f} px at the calibrated lanes and stop lines (tolerance "
                    f"{config.max_shift_px:.0f} px): camera moved, recalibrate or turn it back",), shift
        return (), shift

    def _verdict(self, faults: tuple[str, ...], t_s: float) -> ViewState:
        config = self.config
        notes: list[str] = [] if self._reference is not None else [NO_REFERENCE]
        if faults:
            self._good_since = None
            self._bad_since = t_s if self._bad_since is None else self._bad_since
            lasted = t_s - self._bad_since
            if not self._fail_safe and lasted >= config.fault_after_s:
                self._fail_safe = True
            elif not self._fail_safe:
                notes.append(f"fault for {lasted:.1f} s; fail-safe after {config.fault_after_s:g} s")
        else:
            self._bad_since = None
            self._good_since = t_s if self._good_since is None else self._good_since
            lasted = t_s - self._good_since
            if self._fail_safe and lasted >= config.clear_after_s:
                self._fail_safe = False
            elif self._fail_safe:
                notes.append(f"view good again for {lasted:.1f} s; judging resumes after {config.clear_after_s:g} s")
        geometry = self._geometry or _Geometry(t_s, ())
        return ViewState(self._fail_safe, faults, notes=tuple(notes), shift_px=geometry.shift_px,
                         sharpness=geometry.sharpness, matches=geometry.matches)
