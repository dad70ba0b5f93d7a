"""Footprint estimation: cuboids rendered through a known camera, judged from their boxes alone."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from edge.footprint import Footprint, FootprintConfig, PinholeCamera
from edge.geometry import GroundPlane

W, H = 1920, 1080


def camera(height: float, x: float, pitch_deg: float, yaw_deg: float, focal: float) -> PinholeCamera:
    """A camera at (x, 0, height) looking along +Y, pitched down, yawed; world Z up."""
    p, y = np.radians(pitch_deg), np.radians(yaw_deg)
    # Camera axes in world: x right, y down, z forward (looking along +Y, then pitch down, yaw).
    forward = np.array([np.sin(y) * np.cos(p), np.cos(y) * np.cos(p), -np.sin(p)])
    right = np.array([np.cos(y), -np.sin(y), 0.0])
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])
    k = np.array([[focal, 0, W / 2], [0, focal, H / 2], [0, 0, 1.0]])
    return PinholeCamera(k=k, r=rot, t=-rot @ np.array([x, 0.0, height]))


def cuboid_box(cam: PinholeCamera, centre: tuple[float, float], size: tuple[float, float, float]) -> np.ndarray:
    w, length, h = size
    corners = np.array([[centre[0] + sx * w / 2, centre[1] + sy * length / 2, z]
                        for sx in (-1, 1) for sy in (-1, 1) for z in (0.0, h)])
    pix, _ = cam.project(corners)
    return np.array([pix[:, 0].min(), pix[:, 1].min(), pix[:, 0].max(), pix[:, 1].max()])


def face_box(cam: PinholeCamera, centre: tuple[float, float], size: tuple[float, float, float]) -> np.ndarray:
    """The box of the near end face alone (the lanes run along -Y to the camera: the face at the
    smaller Y): what a detector gives when it boxes a vehicle's photographed front, not its sides."""
    w, length, h = size
    near = centre[1] - length / 2
    corners = np.array([[centre[0] + sx * w / 2, near, z] for sx in (-1, 1) for z in (0.0, h)])
    pix, _ = cam.project(corners)
    return np.array([pix[:, 0].min(), pix[:, 1].min(), pix[:, 0].max(), pix[:, 1].max()])


def site(cam: PinholeCamera, lanes_x: list[float]) -> Footprint:
    world = np.array([[x, y] for x in (0.0, 14.0) for y in (20.0, 60.0)] + [[7.0, 35.0]])
    img, _ = cam.project(np.c_[world, np.zeros(len(world))])
    plane = GroundPlane.fit(img, world)
    lanes = []
    for left in lanes_x:
        poly = np.array([[left, 15.0], [left + 3.5, 15.0], [left + 3.5, 90.0], [left, 90.0]])
        arrow = np.array([[left + 1.75, 60.0], [left + 1.75, 30.0]])
        lanes.append((cam.project(np.c_[poly, np.zeros(4)])[0].tolist(), cam.project(np.c_[arrow, np.zeros(2)])[0]))
    footprint = Footprint.of(plane, (W, H), lanes, FootprintConfig())
    assert footprint is not None
    return footprint


@pytest.mark.parametrize(
    ("label", "cam_args"),
    [
        ("pole right of the road, 7 m, looking down 12 deg", (12.0, 7.0, 12.0, -4.0, 2200.0)),
        ("gantry over the middle, 10 m, 18 deg", (7.0, 10.0, 18.0, 0.0, 1800.0)),
        ("low pole on the left, 5 m, yawed right", (-1.0, 5.0, 9.0, 6.0, 2600.0)),
    ],
)
def test_camera_comes_back_from_the_homography(label: str, cam_args: tuple[float, ...]) -> None:
    true = camera(cam_args[1], cam_args[0], cam_args[2], cam_args[3], cam_args[4])
    got = site(true, [0.0, 3.5, 7.0]).camera
    assert got.focal_px == pytest.approx(cam_args[4], rel=1e-3), label
    assert got.centre == pytest.approx([cam_args[0], 0.0, cam_args[1]], abs=1e-3), label


@pytest.mark.parametrize("boxed", [cuboid_box, face_box], ids=["whole vehicle boxed", "near face boxed"])
@pytest.mark.parametrize(
    ("label", "kind", "size"),
    [
        ("bus 10 % wider, shorter and taller than typical", "bus", (2.75, 10.0, 3.5)),
        ("bus as typical", "bus", (2.5, 11.0, 3.2)),
        ("truck", "truck", (2.45, 7.5, 3.2)),
        ("car", "car", (1.8, 4.6, 1.45)),
        ("motorcycle with rider", "motorcycle", (0.7, 1.9, 1.7)),
    ],
)
def test_footprint_of_tall_vehicles_stays_in_the_lane(
    label: str, kind: str, size: tuple[float, float, float], boxed: Callable[..., np.ndarray],
) -> None:
    """A pole 7 m up at the road's right edge sees the left lanes obliquely: the box's bottom
    centre drifts towards the camera, the fitted footprint does not, whether the detector boxes
    the whole vehicle or only its near face."""
    cam = camera(7.0, 12.0, 12.0, -4.0, 2200.0)
    fp = site(cam, [0.0, 3.5, 7.0, 10.5])
    truth = np.array([[1.75, y] for y in (28.0, 35.0, 50.0)] + [[5.25, 30.0], [8.75, 40.0]])
    boxes = np.array([boxed(cam, (x, y), size) for x, y in truth])
    assert boxes[:, 0].min() > 0 and boxes[:, 2].max() < W and boxes[:, 3].max() < H
    got = fp.estimate(boxes, [kind] * len(boxes))
    points, ok = got.front, got.ok
    assert ok.all(), label
    fitted = fp.plane.to_world(points)
    naive = fp.plane.to_world(np.c_[(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]])
    lateral = np.abs(fitted[:, 0] - truth[:, 0])
    assert lateral.max() < 0.25, (label, lateral)
    front = truth[:, 1] - size[1] / 2  # the lanes' arrows point down the road (-Y): the front is nearer
    assert np.abs(fitted[:, 1] - front).max() < 0.3, label
    centre = fp.plane.to_world(got.centre)
    assert np.abs(centre[:, 0] - truth[:, 0]).max() < 0.25, label
    assert np.abs(centre[:, 1] - front - 0.5 * fp.config.sizes_m[kind][1]).max() < 0.3, label
    if kind in ("bus", "truck") and boxed is cuboid_box:  # what the fit is for: the naive point is off by much more
        assert np.abs(naive[:, 0] - truth[:, 0]).max() > 2 * lateral.max(), label


def test_size_fit_tells_a_car_called_a_truck() -> None:
    """The top edge is never fitted: the box's height over the class's cuboid's says whether the
    class explains the box at all."""
    cam = camera(7.0, 12.0, 12.0, -4.0, 2200.0)
    fp = site(cam, [0.0, 3.5, 7.0])
    car = cuboid_box(cam, (5.25, 30.0), fp.config.sizes_m["car"])
    truck = cuboid_box(cam, (5.25, 30.0), fp.config.sizes_m["truck"])
    got = fp.estimate(np.array([car, truck, car]), ["car", "truck", "truck"])
    assert got.size_fit is not None and got.ok.all()
    assert got.size_fit[:2] == pytest.approx([1.0, 1.0], abs=0.05)
    assert got.size_fit[2] < 0.6  # a car's box explained as a truck's
    cut = fp.estimate(np.array([[*car[:1], 0.5, *car[2:]]]), ["car"])  # top edge at the border: unknown
    assert cut.size_fit is not None and np.isnan(cut.size_fit[0])


def test_box_cut_by_the_bottom_border_has_no_footprint() -> None:
    cam = camera(7.0, 12.0, 12.0, -4.0, 2200.0)
    fp = site(cam, [0.0, 3.5, 7.0])
    box = cuboid_box(cam, (5.25, 30.0), (2.5, 11.0, 3.2))
    cut = box.copy()
    cut[3] = H - 1
    got = fp.estimate(np.array([box, cut]), ["bus", "bus"])
    points, ok = got.front, got.ok
    assert ok.tolist() == [True, False]
    assert points.shape == (2, 2)


def test_box_whose_clean_side_is_cut_has_no_footprint() -> None:
    """Left of the camera the right edge is the bus's side face (or its front, if the detector
    boxes only that): with the left edge cut by the border there is no telling which."""
    cam = camera(7.0, 12.0, 12.0, -4.0, 2200.0)
    fp = site(cam, [0.0, 3.5, 7.0])
    box = cuboid_box(cam, (1.75, 28.0), (2.5, 11.0, 3.2))
    cut = box.copy()
    cut[0] = 0.0
    ok = fp.estimate(np.array([box, cut]), ["bus", "bus"]).ok
    assert ok.tolist() == [True, False]


def test_empty_frame() -> None:
    fp = site(camera(7.0, 12.0, 12.0, -4.0, 2200.0), [0.0])
    got = fp.estimate(np.empty((0, 4)), [])
    points, ok = got.front, got.ok
    assert points.shape == (0, 2) and ok.shape == (0,)


def test_no_ground_plane_no_estimate() -> None:
    assert Footprint.of(None, (W, H), [], FootprintConfig()) is None


def test_a_box_ending_a_few_pixels_short_of_the_border_is_cut() -> None:
    """Detectors box a vehicle the border cuts 12-14 px short of a 1080-row border: that bottom
    edge is the border's, so no footprint is measured from it."""
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    footprint = site(cam, [0.0, 3.5, 7.0])
    near = cuboid_box(cam, (5.25, 16.0), (1.8, 4.5, 1.5))
    near[3] = H - 14
    whole = cuboid_box(cam, (5.25, 22.0), (1.8, 4.5, 1.5))
    assert footprint.estimate(np.stack([near, whole]), ["car", "car"]).ok.tolist() == [False, True]
