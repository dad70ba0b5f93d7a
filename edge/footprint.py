"""Where a vehicle's wheels are: its ground footprint, estimated from its image box.

The bottom centre of a box is where a *flat* object touches the road. A bus or a truck is
3 m tall and seen from a pole beside the road: its roof and the side facing the camera
widen the box towards the camera, so the box's bottom centre lies beside the wheels, by up
to a metre, and drifts as the vehicle approaches. Rules that judge lanes, solid lines,
direction and speed on that point charge a bus driving straight in its own lane.

So each box is explained by a cuboid of its class's typical size standing on the road,
aligned with the lane it is in: the camera is recovered from the site's ground homography
(principal point at the image centre, square pixels: one homography then fixes the focal
length, rotation and position), and the footprint centre (X, Y) is fitted by Gauss-Newton
so that the cuboid's projected box matches the detected box's bottom edge and its side edges
made by the vehicle's end face nearest the camera. A side edge pushed out by a visible side
face is not used: detectors differ in how much of a plain side they box, while the near end
face's corner is where it is either way. The top edge is not used (heights vary most, and a
roof is often cut), nor an edge the image border cuts; a box whose bottom is cut has no
footprint at all (its ground contact is out of view), and is reported as such, never guessed.

Pure numpy, vectorised over the boxes of a frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from edge.geometry import GroundPlane, anchor_points, cut_by_border, points_in_polygon

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Typical sizes (width, length, height in metres) of what the detector names; a rider counts
# in a motorcycle's height. Used only to explain a box, so ±15 % barely moves the footprint.
DEFAULT_SIZES: dict[str, tuple[float, float, float]] = {
    "car": (1.75, 4.4, 1.5),
    "motorcycle": (0.75, 1.9, 1.6),
    "bicycle": (0.6, 1.8, 1.7),
    # A person is measured only as a motorcycle's rider (edge.track.tracker: rider_speed_kmh): the
    # detector's "person" box then holds rider and motorcycle.
    "person": (0.75, 1.9, 1.6),
    "bus": (2.5, 11.0, 3.2),
    "truck": (2.4, 7.0, 3.1),
}


class FootprintConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True, title="Judge the footprint",
        description="Explain each box by a cuboid of its class on the road (needs a homography); "
        "off: the box's bottom centre, as for a flat object.",
    )
    sizes_m: dict[str, tuple[float, float, float]] = Field(
        default_factory=lambda: dict(DEFAULT_SIZES), title="Vehicle sizes",
        description="Width, length, height in metres per detector class; other classes use the car's.",
    )
    # Wider than BORDER_SLACK (1.2 %): a car creeping out of the bottom of a 1080-row view was boxed
    # 12-14 px short of the border, so its footprint stood still while it crept 1 m, and a queue in
    # a no-stopping box was charged (tune 118, 119: 2 wrong illegal_stop charges → 0, no recall lost).
    border_share: float = Field(
        default=0.016, ge=0, le=0.2, title="Border margin",
        description="Share of the detector's view (width for the sides, height for the bottom): a box edge "
        "this close to its border is taken as cut and not used. A box the border cuts often ends a few "
        "pixels short of it (edge.geometry.BORDER_SLACK); a footprint from it stands still while the "
        "vehicle moves on.",
    )


@dataclass(frozen=True, slots=True)
class PinholeCamera:
    """x ~ K (R X + t) for world points X in metres (Z up); recovered from a ground homography."""

    k: FloatArray
    r: FloatArray
    t: FloatArray

    @classmethod
    def from_ground(cls, plane: GroundPlane, resolution: tuple[int, int]) -> PinholeCamera | None:
        """The camera whose road plane is `plane`, or None when the homography cannot be one
        (e.g. an affine fit, or a focal length that comes out imaginary).

        >>> k = np.array([[1000.0, 0, 640], [0, 1000.0, 360], [0, 0, 1]])
        >>> pitch = np.radians(100.0)  # looking down the road, 10 degrees below the horizon
        >>> r = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
        >>> t = -r @ np.array([2.0, 0.0, 6.0])  # 6 m up, 2 m to the right of X = 0
        >>> world = np.array([[0, 20], [4, 20], [4, 40], [0, 40], [-2, 30]], dtype=float)
        >>> img = [tuple(v) for v in (k @ (r[:, :2] @ world.T + t[:, None])).T]
        >>> cam = PinholeCamera.from_ground(GroundPlane.fit([(u / w, v / w) for u, v, w in img], world), (1280, 720))
        >>> round(cam.focal_px), cam.centre.round(3).tolist()
        (1000, [2.0, 0.0, 6.0])
        """
        w, h = resolution
        shift = np.array([[1.0, 0, -w / 2], [0, 1.0, -h / 2], [0, 0, 1.0]])
        hm = shift @ plane.world_to_image
        (a11, a12), (a21, a22), (a31, a32) = hm[0, :2], hm[1, :2], hm[2, :2]
        # r1 ⟂ r2 and |r1| = |r2|, with r_i ∝ (h1i/f, h2i/f, h3i): two equations linear in 1/f².
        rows = np.array([a11 * a12 + a21 * a22, (a11**2 + a21**2) - (a12**2 + a22**2)])
        rhs = -np.array([a31 * a32, a31**2 - a32**2])
        if float(rows @ rows) < 1e-18:
            return None
        inv_f2 = float(rows @ rhs / (rows @ rows))
        if inv_f2 <= 0:
            return None
        f = 1.0 / np.sqrt(inv_f2)
        k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1.0]])
        m = np.linalg.inv(k) @ plane.world_to_image
        scale = 2.0 / (np.linalg.norm(m[:, 0]) + np.linalg.norm(m[:, 1]))
        r1, r2, t = m[:, 0] * scale, m[:, 1] * scale, m[:, 2] * scale
        depth = np.c_[plane.world_points, np.ones(len(plane.world_points))] @ np.array([r1[2], r2[2], t[2]])
        if float(np.median(depth)) < 0:  # the homography's scale sign is free: the road is in front
            r1, r2, t = -r1, -r2, -t
        u, _, vt = np.linalg.svd(np.column_stack([r1, r2, np.cross(r1, r2)]))
        rot = u @ vt  # nearest rotation: the fit's noise leaves r1, r2 slightly non-orthonormal
        if float((-rot.T @ t)[2]) < 0:  # world Z must point up, to the camera: flip a left-handed ground frame
            rot[:, 2] = -rot[:, 2]
        return cls(k=k, r=rot, t=t)

    @property
    def focal_px(self) -> float:
        return float(self.k[0, 0])

    @property
    def centre(self) -> FloatArray:
        """Camera position in world metres (its Z is the mounting height)."""
        return np.asarray(-self.r.T @ self.t, dtype=np.float64)

    def project(self, world: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pixels of world points `(..., 3)` and their depth in front of the camera."""
        cam = world @ self.r.T + self.t
        depth = cam[..., 2]
        pix = cam @ self.k.T
        with np.errstate(divide="ignore", invalid="ignore"):
            return pix[..., :2] / pix[..., 2:3], depth


@dataclass(frozen=True, slots=True)
class Estimate:
    """Image points (N, 2) of each footprint's front and centre, and whether it could be judged
    (where not, both are the box's bottom centre and must not be measured)."""

    front: FloatArray
    centre: FloatArray
    ok: BoolArray
    # The box's height over the fitted cuboid's (N,): how well the class's typical size explains
    # the box (a detector's box of a car is 0.4-1.6 of a car's; of a car called a truck ~0.3 of a
    # truck's); NaN where unknown (no footprint, top edge cut). None: no footprint at all.
    size_fit: FloatArray | None = None
    # (N,) whether the image border cuts the box's top: the detector saw part of the vehicle (a bus
    # coming in under the top edge reads as a truck). None: no footprint, so not known.
    top_cut: BoolArray | None = None


# The eight corners of a unit cuboid centred on its footprint: (along, across, up) factors.
_ITERATIONS = 4  # alternating steps along and across: they settle in two or three
_CORNERS = np.array([[a, c, u] for a in (-0.5, 0.5) for c in (-0.5, 0.5) for u in (0.0, 1.0)])


@dataclass(frozen=True)
class Footprint:
    """Estimates footprint centres for one camera; built once per site."""

    camera: PinholeCamera
    plane: GroundPlane
    window: tuple[float, float, float, float]  # what the detector sees (x0, y0, x1, y1): its edges cut boxes
    lane_polygons: tuple[tuple[tuple[float, float], ...], ...]
    lane_headings: FloatArray  # (L, 2) unit ground vectors, one per lane polygon
    config: FootprintConfig

    @classmethod
    def of(
        cls, plane: GroundPlane | None, resolution: tuple[int, int],
        lanes: Sequence[tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]]], config: FootprintConfig,
        window: tuple[float, float, float, float] | None = None,
    ) -> Footprint | None:
        """From the ground plane and each lane's (polygon, direction arrow) in pixels; None when
        there is no ground plane, no usable camera, or the estimate is switched off. `window`:
        the part of the frame the detector sees (default: all of it)."""
        if plane is None or not config.enabled or not lanes:
            return None
        camera = PinholeCamera.from_ground(plane, resolution)
        if camera is None:
            return None
        heads = []
        for _, arrow in lanes:
            start, end = plane.to_world(np.asarray(arrow, dtype=np.float64))
            heads.append((end - start) / max(float(np.linalg.norm(end - start)), 1e-9))
        polygons = tuple(tuple((float(x), float(y)) for x, y in poly) for poly, _ in lanes)
        seen = window if window is not None else (0.0, 0.0, float(resolution[0]), float(resolution[1]))
        return cls(camera, plane, seen, polygons, np.asarray(heads, dtype=np.float64), config)

    def _sizes(self, class_names: Sequence[str]) -> FloatArray:
        sizes: Mapping[str, tuple[float, float, float]] = self.config.sizes_m
        fallback = sizes.get("car", DEFAULT_SIZES["car"])
        return np.asarray([sizes.get(name, fallback) for name in class_names], dtype=np.float64).reshape(-1, 3)

    def _headings(self, bottoms: FloatArray) -> FloatArray:
        """Each box's lane direction (the lane holding its bottom centre; else the lanes' mean)."""
        mean = self.lane_headings.mean(axis=0)
        out = np.tile(mean / max(float(np.linalg.norm(mean)), 1e-9), (len(bottoms), 1))
        for poly, head in zip(reversed(self.lane_polygons), self.lane_headings[::-1], strict=True):
            out[points_in_polygon(bottoms, poly)] = head  # reversed: the first lane listed wins, as lane_at
        return out

    def _pixels(self, centres: FloatArray, corners_cam: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Image u, v and depth (N, 8) of the corners of cuboids standing on `centres` (N, 2),
        given the corners' offsets from the centre already rotated into the camera frame (N, 8, 3)."""
        cam = corners_cam + (np.c_[centres, np.zeros(len(centres))] @ self.camera.r.T + self.camera.t)[:, None, :]
        depth = cam[..., 2]
        k = self.camera.k
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (k[0, 0] * cam[..., 0] + k[0, 2] * depth) / depth
            v = (k[1, 1] * cam[..., 1] + k[1, 2] * depth) / depth
        return np.nan_to_num(u), np.nan_to_num(v), depth

    def _boxes(self, centres: FloatArray, corners_cam: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Projected boxes (N, 4) of the cuboids; False where a corner is behind the camera."""
        u, v, depth = self._pixels(centres, corners_cam)
        boxes = np.c_[u.min(axis=1), v.min(axis=1), u.max(axis=1), v.max(axis=1)]
        return boxes, np.all(depth > 0.1, axis=1)

    def _clean_sides(self, centres: FloatArray, corners_cam: FloatArray) -> FloatArray:
        """Weights (N, 2) of the box's left and right edges: 1 where the edge is the end face
        nearest the camera, 0 where a side face the camera sees pushes it out.

        A detector may box a vehicle's side face or only its front (how much of a flat-painted
        side it includes varies): the edge made by the near end face is where it is either way."""
        u, _, depth = self._pixels(centres, corners_cam)
        near_first = depth[:, :4].mean(axis=1) < depth[:, 4:].mean(axis=1)  # _CORNERS: 4 of each end
        face = np.where(near_first[:, None], u[:, :4], u[:, 4:])
        face_lo, face_hi = face.min(axis=1), face.max(axis=1)
        grow = np.c_[face_lo - u.min(axis=1), u.max(axis=1) - face_hi]
        clean = grow <= np.maximum(0.1 * (face_hi - face_lo), 2.0)[:, None]
        # Near the camera the roof can push both out: then the edge pushed out least.
        least = np.c_[grow[:, 0] <= grow[:, 1], grow[:, 1] < grow[:, 0]]
        return np.asarray(np.where(clean.any(axis=1)[:, None], clean, least), dtype=np.float64)

    def estimate(self, xyxy: NDArray[np.floating], class_names: Sequence[str]) -> Estimate:
        """Image point of each box's footprint front `(N, 2)` and whether it could be judged
        (False: the box's bottom is cut by the image border, or no cuboid explains it).

        The front is the middle of the footprint's leading edge in its lane's legal direction:
        where a vehicle "crosses" a stop line, and laterally its centre (wheels, not roof)."""
        boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        bottoms = anchor_points(boxes)
        if len(boxes) == 0:
            return Estimate(bottoms, bottoms, np.zeros(0, dtype=bool))
        cut = cut_by_border(boxes, self.window, self.config.border_share)
        weights = (~cut[:, [0, 2, 3]]).astype(np.float64)  # 1: the left, right, bottom edge is the object's
        along = np.c_[self._headings(bottoms), np.zeros(len(boxes))]
        across = np.c_[-along[:, 1], along[:, 0], np.zeros(len(boxes))]
        up = np.tile([0.0, 0.0, 1.0], (len(boxes), 1))
        frames = np.stack([along, across, up], axis=2)  # columns: along, across, up
        dims = self._sizes(class_names)[:, [1, 0, 2]]  # (length, width, height) to match the columns
        # Start from the box's bottom centre moved back half a length: the near end of an
        # oncoming vehicle; a receding one starts a length off and takes an iteration more.
        centres = self.plane.to_world(bottoms) - along[:, :2] * dims[:, :1] / 2
        target = boxes[:, [0, 2, 3]]
        n = len(boxes)
        # The corners' offsets do not move with the centre: rotate them into the camera once.
        corners_cam = np.einsum("kj,nj,nij->nki", _CORNERS, dims, frames) @ self.camera.r.T
        # Where the border cuts the clean side edge, the other could be the side face's or the
        # front's (detectors differ): no footprint rather than a guess.
        side = weights[:, :2] * self._clean_sides(centres, corners_cam)
        ok = self.plane.visible(bottoms) & (weights[:, 2] > 0) & (side.sum(axis=1) > 0)
        # Distance along the lane from the bottom edge alone, the lateral offset from the clean
        # side edge(s) alone, alternately: far away a pixel of side-edge jitter would otherwise
        # move the vehicle metres along the road (perspective couples the two).
        corners3 = np.tile(corners_cam, (3, 1, 1))
        steps = (np.zeros((n, 2)), along[:, :2] * 0.01, across[:, :2] * 0.01)
        for _ in range(_ITERATIONS):
            # The box at the centre and one centimetre along and across, in one batch.
            probed, fronts = self._boxes(np.concatenate([centres + s for s in steps]), corners3)
            pred, moved_a, moved_c = (probed[i * n:(i + 1) * n, [0, 2, 3]] for i in range(3))
            front = fronts[:n]
            resid = pred - target
            slope_a = (moved_a[:, 2] - pred[:, 2]) / 0.01
            slope_c = (moved_c[:, :2] - pred[:, :2]) / 0.01
            step_a = -resid[:, 2] / np.where(np.abs(slope_a) > 1e-9, slope_a, np.inf)
            step_c = (-np.sum(side * slope_c * resid[:, :2], axis=1)
                      / np.maximum(np.sum(side * slope_c**2, axis=1), 1e-9))
            delta = along[:, :2] * np.clip(step_a, -5, 5)[:, None] + across[:, :2] * np.clip(step_c, -5, 5)[:, None]
            centres = centres + np.where(ok[:, None] & front[:, None], delta, 0.0)
        fitted, front = self._boxes(centres, corners_cam)
        ok &= front & np.all(np.isfinite(centres), axis=1)
        centres = np.nan_to_num(centres)
        leading = centres + along[:, :2] * dims[:, :1] / 2
        # The top edge, never fitted, tells whether the class's size explains the box at all.
        with np.errstate(divide="ignore", invalid="ignore"):
            height = (boxes[:, 3] - boxes[:, 1]) / (fitted[:, 3] - fitted[:, 1])
        return Estimate(
            front=np.asarray(np.where(ok[:, None], self.plane.to_image(leading), bottoms), dtype=np.float64),
            centre=np.asarray(np.where(ok[:, None], self.plane.to_image(centres), bottoms), dtype=np.float64),
            ok=np.asarray(ok, dtype=bool),
            size_fit=np.asarray(np.where(ok & ~cut[:, 1] & np.isfinite(height), height, np.nan), dtype=np.float64),
            top_cut=np.asarray(cut[:, 1], dtype=bool),
        )
