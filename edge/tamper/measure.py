"""What the view watch measures in one frame: pure functions of images, no state.

Two costs. Per frame: a grey grid of single pixels sampled every few (~0.2 ms at 1280×720)
for the frozen, black and white checks. Every few seconds: ORB features on a shrunken frame,
matched against the reference's and fitted with RANSAC to find how far the view moved.

The camera motion is fitted as a similarity (shift, rotation, scale; 4 degrees of freedom),
not a homography. A knocked camera turns about itself, which is a homography exactly, but over
the demo clip a RANSAC homography once fitted a cluster of matches and reported a 56 px drift
on a still camera (its extrapolation to the frame's far corners is unstable); the similarity's
largest drift there was 1 px. It reads a pure 1–3° pan ~8 % low at the frame's edges, well
inside any tolerance worth setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

LOWE_RATIO = 0.8  # a match must be clearly better than the runner-up: repeated texture (dashes) is ambiguous
RANSAC_PX = 3.0  # at match width; ORB keypoints land within ~1 px there


def sampled_grey(image: NDArray[np.uint8], width: int) -> NDArray[np.uint8]:
    """A grid of single pixels `width` wide (never wider than the image), as grey.

    Sampling (nearest pixel), not averaging: it keeps each pixel's sensor noise, which tells a
    live camera from a frozen one, and costs a third of an averaging resize (~0.2 ms at 1280×720).

    >>> sampled_grey(np.zeros((720, 1280, 3), np.uint8), 320).shape
    (180, 320)
    """
    width = min(width, image.shape[1])
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    grid = cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)
    grey = cv2.cvtColor(grid, cv2.COLOR_BGR2GRAY) if grid.ndim == 3 else grid
    return np.asarray(grey, dtype=np.uint8)


def shrunk_grey(image: NDArray[np.uint8], width: int) -> NDArray[np.uint8]:
    """The image averaged down to `width` (never up), as grey: the feature matching's input.

    >>> shrunk_grey(np.zeros((720, 1280, 3), np.uint8), 640).shape
    (360, 640)
    """
    height = max(1, round(image.shape[0] * min(1.0, width / image.shape[1])))
    width = min(width, image.shape[1])
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return np.asarray(grey, dtype=np.uint8)


def mean_difference(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    """Mean absolute grey difference of two same-size images; inf when their sizes differ.

    >>> mean_difference(np.full((2, 2), 10, np.uint8), np.full((2, 2), 13, np.uint8))
    3.0
    """
    if a.shape != b.shape:
        return float("inf")
    return float(cv2.absdiff(a, b).mean())


def blank_fault(grey: NDArray[np.uint8], dark: int, bright: int, share: float) -> str | None:
    """'image black …' or 'image white …' when at least `share` of the pixels are, else None.

    >>> blank_fault(np.full((4, 4), 3, np.uint8), 24, 235, 0.9)
    'image black (mean 3/255)'
    >>> blank_fault(np.full((4, 4), 128, np.uint8), 24, 235, 0.9) is None
    True
    """
    mean = float(grey.mean())
    if float((grey <= dark).mean()) >= share:
        return f"image black (mean {mean:.0f}/255)"
    if float((grey >= bright).mean()) >= share:
        return f"image saturated white (mean {mean:.0f}/255)"
    return None


def sharpness(grey: NDArray[np.uint8]) -> float:
    """Variance of the Laplacian: high for crisp edges, near 0 for a blurred or featureless image.

    >>> sharpness(np.full((8, 8), 50, np.uint8))
    0.0
    """
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


@dataclass(frozen=True, slots=True)
class Features:
    """ORB keypoints (their positions, (n, 2)) and binary descriptors (n, 32) of one grey image."""

    points: NDArray[np.float32] = field(repr=False)
    descriptors: NDArray[np.uint8] = field(repr=False)


def features_of(grey: NDArray[np.uint8], orb: cv2.ORB) -> Features:
    """The image's ORB features; none (empty arrays) for a flat image."""
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    return Features(points, np.asarray(descriptors, dtype=np.uint8))


@dataclass(frozen=True, slots=True)
class ViewMatch:
    """How the frame's features met the reference's: `matches` passed the ratio test, `agreeing`
    fit one camera motion, and `shift_px` is how far that motion moves the anchors (largest, in the
    units of the anchors given); None when fewer than three matches could be fitted."""

    matches: int
    agreeing: int
    shift_px: float | None


def match_view(reference: Features, current: Features, anchors: NDArray[np.float64]) -> ViewMatch:
    """Match `current` to `reference`, fit a similarity with RANSAC, and measure the anchors' drift.

    `anchors` are (n, 2) points in the matched images' pixels.
    """
    if len(reference.points) < 2 or len(current.points) < 2:
        return ViewMatch(0, 0, None)
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(current.descriptors, reference.descriptors, k=2)
    good = [pair[0] for pair in pairs if len(pair) == 2 and pair[0].distance < LOWE_RATIO * pair[1].distance]
    if len(good) < 3:
        return ViewMatch(len(good), 0, None)
    source = reference.points[[m.trainIdx for m in good]]
    target = current.points[[m.queryIdx for m in good]]
    motion, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                  ransacReprojThreshold=RANSAC_PX)
    if motion is None or inliers is None:
        return ViewMatch(len(good), 0, None)
    moved = anchors @ motion[:, :2].T + motion[:, 2]
    shift = float(np.linalg.norm(moved - anchors, axis=1).max()) if len(anchors) else 0.0
    return ViewMatch(len(good), int(inliers.sum()), shift)
