"""The detection region: the calibrated geometry's box, raised by a bus's height; boxes come
back in frame pixels; the footprint treats the region's edges as the image border."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from edge.config.load import load_site
from edge.detect.build import build_detector
from edge.detect.config import CenterNetConfig
from edge.detect.region import VEHICLE_HEIGHT_M, Region, RegionDetector, geometry_points, region_of
from edge.footprint import PinholeCamera
from tests.conftest import DEMO, MODELS, ultralytics_asset
from tests.test_footprint import H, W, camera, cuboid_box, site


def test_the_demo_region_holds_every_line_and_a_bus_standing_on_it() -> None:
    loaded = load_site(DEMO / "site.yaml")
    calibration, resolution = loaded.site.calibration, loaded.site.camera.resolution
    region = region_of(calibration, resolution)
    points = np.asarray(geometry_points(calibration))
    assert np.all(points[:, 0] >= region.x0) and np.all(points[:, 0] <= region.x1)
    assert np.all(points[:, 1] >= region.y0) and np.all(points[:, 1] <= region.y1)
    plane = calibration.ground_plane()
    assert plane is not None
    cam = PinholeCamera.from_ground(plane, resolution)
    assert cam is not None
    # The top of a 4 m vehicle standing at the farthest geometry point is inside.
    far = points[np.argmin(points[:, 1])]
    top, _ = cam.project(np.r_[plane.to_world(far[None])[0], VEHICLE_HEIGHT_M])
    assert region.y0 <= top[1]
    assert 0 <= region.x0 < region.x1 <= resolution[0] and 0 <= region.y0 < region.y1 <= resolution[1]


def test_lanes_in_one_corner_give_a_region_around_them_not_the_frame() -> None:
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    footprint = site(cam, [0.0, 3.5])
    loaded = load_site(DEMO / "site.yaml")
    calibration = loaded.site.calibration.model_copy(update={
        "lanes": [loaded.site.calibration.lanes[0].model_copy(update={"polygon": [
            tuple(p) for p in footprint.lane_polygons[0]]})],
        "stop_lines": [], "solid_lines": [], "zones": [], "restrictions": [], "signals": [],
        "homography": loaded.site.calibration.homography.model_copy(update={  # type: ignore[union-attr]
            "image_points": [tuple(p) for p in cam.project(np.c_[footprint.plane.world_points,
                                                               np.zeros(len(footprint.plane.world_points))])[0]],
            "world_points_m": [tuple(p) for p in footprint.plane.world_points]}),
    })
    region = region_of(calibration, (W, H))
    lane = np.asarray(footprint.lane_polygons[0])
    assert region.x1 - region.x0 < W and region.x0 <= lane[:, 0].min() and region.x1 >= lane[:, 0].max()
    # A bus at the lane's near end is inside the region whole.
    bus = cuboid_box(cam, (1.75, 20.0), (2.5, 11.0, 3.2))
    assert region.x0 <= bus[0] and bus[2] <= region.x1 and region.y0 <= bus[1]


def test_a_region_detector_answers_in_frame_pixels() -> None:
    photo = cv2.imread(str(ultralytics_asset("bus.jpg")))
    canvas = np.full((1400, 2400, 3), 90, dtype=np.uint8)
    oy, ox = 300, 1100
    canvas[oy:oy + photo.shape[0], ox:ox + photo.shape[1]] = photo
    inner = build_detector(CenterNetConfig(model=MODELS / "centernet.onnx"))
    region = Region(ox - 20, oy - 20, ox + photo.shape[1] + 20, oy + photo.shape[0] + 20)
    found = RegionDetector(inner, region).detect(canvas)
    alone = inner.detect(cv2.copyMakeBorder(photo, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=(90, 90, 90)))
    assert list(found.data["class_name"]) == list(alone.data["class_name"])
    assert np.allclose(found.xyxy, alone.xyxy + np.array([ox - 20, oy - 20, ox - 20, oy - 20]), atol=1e-3)
    # The whole frame as a region: the inner detector's own answer.
    whole = RegionDetector(inner, Region.frame((canvas.shape[1], canvas.shape[0]))).detect(canvas)
    assert np.array_equal(whole.xyxy, inner.detect(canvas).xyxy)


def test_a_box_the_region_cuts_has_no_footprint() -> None:
    cam = camera(10.0, 7.0, 18.0, 0.0, 1800.0)
    full = site(cam, [0.0, 3.5, 7.0])
    box = cuboid_box(cam, (5.25, 35.0), (1.75, 4.4, 1.5))
    assert bool(full.estimate(box[None], ["car"]).ok[0])

    def seen_through(window: tuple[float, float, float, float]) -> bool:
        cut = replace(full, window=window)
        return bool(cut.estimate(box[None], ["car"]).ok[0])

    assert seen_through((box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 10))
    assert not seen_through((0.0, 0.0, float(W), box[3] + 1.0))  # its bottom edge is the region's
    assert not seen_through((box[0] + 1.0, 0.0, box[2] - 1.0, float(H)))  # both sides are the region's
    # A detector's box of a vehicle the border cuts ends a few pixels short of it: still cut.
    assert not seen_through((0.0, 0.0, float(W), box[3] + 6.0))
    assert seen_through((0.0, 0.0, float(W), box[3] + 20.0))
