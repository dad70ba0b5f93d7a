"""Exact pinhole camera: world metres <-> image pixels, and the site homography.

World frame: X metres to the right as the camera looks (lane-1's left edge, along the
median, is X = 0), Y metres along the road away from the camera's foot, Z metres up.
Oncoming traffic moves towards falling Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Camera:
    """A pinhole camera without lens distortion (the generator's ground truth is exact)."""

    width: int
    height: int
    focal_px: float
    x_m: float
    height_m: float
    pitch_deg: float
    yaw_deg: float
    roll_deg: float

    def rotation(self) -> F64:
        return self._rotation

    @cached_property
    def _rotation(self) -> F64:
        yaw, pitch, roll = (math.radians(a) for a in (self.yaw_deg, self.pitch_deg, self.roll_deg))
        fwd = np.array([math.sin(yaw), math.cos(yaw), 0.0])
        right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
        fwd = math.cos(pitch) * fwd + math.sin(pitch) * np.array([0.0, 0.0, -1.0])
        down = np.cross(fwd, right)
        right, down = (
            math.cos(roll) * right + math.sin(roll) * down,
            -math.sin(roll) * right + math.cos(roll) * down,
        )
        return np.stack([right, down, fwd])

    @cached_property
    def centre(self) -> F64:
        return np.array([self.x_m, 0.0, self.height_m])

    def matrix(self) -> F64:
        return self._matrix

    @cached_property
    def _matrix(self) -> F64:
        k = np.array([[self.focal_px, 0, self.width / 2], [0, self.focal_px, self.height / 2], [0, 0, 1]])
        rot = self.rotation()
        return k @ np.column_stack([rot, -rot @ self.centre])

    def homography(self) -> F64:
        """Ground plane (X, Y, 1) -> pixels (homogeneous)."""
        return self.matrix()[:, [0, 1, 3]]

    def depth(self, xyz: npt.ArrayLike) -> F64:
        pts = np.atleast_2d(np.asarray(xyz, np.float64))
        return np.asarray((pts - self.centre) @ self.rotation()[2], np.float64)

    def project(self, xyz: npt.ArrayLike) -> F64:
        pts = np.atleast_2d(np.asarray(xyz, np.float64))
        hom = np.column_stack([pts, np.ones(len(pts))]) @ self.matrix().T
        return np.asarray(hom[:, :2] / hom[:, 2:3], np.float64)

    def ground(self, x: float, y: float) -> tuple[float, float]:
        u, v = self.project([x, y, 0.0])[0]
        return float(u), float(v)

    def to_ground(self, u: float, v: float) -> tuple[float, float]:
        """The ground point seen at pixel (u, v) (below the horizon)."""
        hom = np.linalg.inv(self.homography()) @ np.array([u, v, 1.0])
        return float(hom[0] / hom[2]), float(hom[1] / hom[2])

    def px_per_m(self, x: float, y: float, z: float = 0.0) -> float:
        """Horizontal image scale at a point: how many pixels a 1 m wide object spans."""
        a, b = self.project([[x - 0.5, y, z], [x + 0.5, y, z]])
        return float(np.hypot(*(b - a)))

    def inside(self, u: float, v: float, margin: float = 0.0) -> bool:
        return margin <= u <= self.width - 1 - margin and margin <= v <= self.height - 1 - margin
