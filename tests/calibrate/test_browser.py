"""The calibration page in real headless Chromium: a technician draws a lane, sees the
mistake next to it, fixes it, gives it a direction and saves; the file on disk says so."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import yaml
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from edge.config.load import load_site
from tests.calibrate.conftest import ARTIFACTS, running_tool

# A lane on the far carriageway, clear of the demo's lanes. Clicked in the order A, B, D, C
# its edges B-D and C-A cross (a bow tie); moving D to D_FIXED makes it a simple quadrilateral.
A, B, C, D = (150.0, 260.0), (400.0, 260.0), (300.0, 340.0), (100.0, 340.0)
D_FIXED = (340.0, 340.0)
ARROW = ((275.0, 270.0), (320.0, 330.0))


def offset(browser: webdriver.Chrome, canvas: WebElement, point: tuple[float, float]) -> tuple[int, int]:
    """Selenium offsets are CSS pixels from the element's centre; the page works in image pixels."""
    width, css_width, css_height = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [arguments[0].width, r.width, r.height];", canvas)
    scale = width / css_width
    return round(point[0] / scale - css_width / 2), round(point[1] / scale - css_height / 2)


def click(browser: webdriver.Chrome, canvas: WebElement, point: tuple[float, float]) -> None:
    ActionChains(browser).move_to_element_with_offset(canvas, *offset(browser, canvas, point)).click().perform()


def drag(browser: webdriver.Chrome, canvas: WebElement, start: tuple[float, float], end: tuple[float, float]) -> None:
    (ActionChains(browser).move_to_element_with_offset(canvas, *offset(browser, canvas, start)).click_and_hold()
     .move_to_element_with_offset(canvas, *offset(browser, canvas, end)).release().perform())


def near(points: Sequence[tuple[float, float]], expected: Sequence[tuple[float, float]]) -> bool:
    """Equal within the rounding of a click to whole CSS pixels (about one image pixel here)."""
    return len(points) == len(expected) and all(
        abs(p[0] - q[0]) <= 1.5 and abs(p[1] - q[1]) <= 1.5 for p, q in zip(points, expected, strict=True))


def tags(browser: webdriver.Chrome) -> list[str]:
    """The problem tags shown over the frame, once the server has checked the latest change."""
    wait(browser, lambda b: b.execute_script("return document.body.dataset.busy") == "0")
    return [tag.text for tag in browser.find_elements(By.CSS_SELECTOR, "#tags .problem-tag")]


def wait(browser: webdriver.Chrome, condition: object, timeout: float = 10) -> None:
    WebDriverWait(browser, timeout, poll_frequency=0.05).until(condition)  # type: ignore[arg-type]


def test_draw_fix_and_save_a_lane(chrome: webdriver.Chrome, demo_copy: Path) -> None:
    original = demo_copy.read_bytes()
    with running_tool(demo_copy) as tool:
        chrome.get(tool.url)
        wait(chrome, lambda b: b.execute_script("return document.body.dataset.ready") == "1")
        canvas = chrome.find_element(By.ID, "canvas")
        assert chrome.find_element(By.ID, "sha256").text == hashlib.sha256(original).hexdigest()
        assert tags(chrome) == []

        chrome.find_element(By.CSS_SELECTOR, "[data-tool=lane]").click()
        for point in (A, B, D, C, A):  # clicking the first corner again closes the lane
            click(chrome, canvas, point)
        shown = tags(chrome)
        assert any("not a simple polygon" in t and "Self-intersection" in t for t in shown), shown
        assert any("direction" in t and "Field required" in t for t in shown), shown
        bad_tag = chrome.find_element(By.CSS_SELECTOR, "#tags .problem-tag")
        assert "lane-4" in (bad_tag.get_attribute("data-field") or "")

        chrome.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # the select tool
        chrome.find_element(By.CSS_SELECTOR, "#items .item[data-kind=lanes]:nth-of-type(4)").click()
        drag(chrome, canvas, D, D_FIXED)
        shown = tags(chrome)
        assert not any("not a simple polygon" in t for t in shown), shown

        chrome.find_element(By.CSS_SELECTOR, "[data-tool=arrow]").click()
        click(chrome, canvas, ARROW[0])
        click(chrome, canvas, ARROW[1])
        assert tags(chrome) == []
        assert "No problems" in chrome.find_element(By.ID, "problems").text

        chrome.find_element(By.ID, "save").click()
        wait(chrome, lambda b: "saved version 2" in b.find_element(By.ID, "status").text)
        shown_sha = chrome.find_element(By.ID, "sha256").text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chrome.save_screenshot(str(ARTIFACTS / "calibrate-page.png"))
        assert httpx.get(f"{tool.base}/api/site").json()["sha256"] == shown_sha

    saved = demo_copy.read_bytes()
    assert hashlib.sha256(saved).hexdigest() == shown_sha
    site = load_site(demo_copy).site  # validates: load_site refuses any problem
    assert site.calibration.version == 2
    lane = site.calibration.lanes[3]
    assert lane.id == "lane-4"
    assert near(lane.polygon, [A, B, D_FIXED, C])
    assert near(lane.direction, ARROW)
    history = list((demo_copy.parent / "history").iterdir())
    assert [h.name for h in history] == [f"site.v1.{hashlib.sha256(original).hexdigest()[:12]}.yaml"]
    assert history[0].read_bytes() == original
    assert yaml.safe_load(saved)["calibration"]["lanes"][:3] == yaml.safe_load(original)["calibration"]["lanes"]


def field_problem_shows(browser: webdriver.Chrome, path: str, expected: str) -> None:
    """Wait until the field's problem says `expected` ("": until it says nothing). Waiting on the
    text itself, not only on the page being idle: the check a click starts may not have begun yet."""
    def shown(b: webdriver.Chrome) -> bool:
        text = str(b.find_element(By.CSS_SELECTOR, f'.field[data-path="{path}"] > .field-problem').text)
        return expected in text if expected else text == ""

    wait(browser, lambda b: b.execute_script("return document.body.dataset.busy") == "0" and shown(b))


def test_ground_point_lamps_and_restriction_form(chrome: webdriver.Chrome, demo_copy: Path) -> None:
    plane = load_site(demo_copy).site.calibration.ground_plane()
    assert plane is not None
    added = len(load_site(demo_copy).site.calibration.restrictions)  # index of the restriction added below
    (gx, gy), = plane.to_image(np.array([[7.0, 30.0]]))  # a road point 7 m across, 30 m along
    with running_tool(demo_copy) as tool:
        chrome.get(tool.url)
        wait(chrome, lambda b: b.execute_script("return document.body.dataset.ready") == "1")
        canvas = chrome.find_element(By.ID, "canvas")

        chrome.find_element(By.CSS_SELECTOR, "[data-tool=ground]").click()
        click(chrome, canvas, (gx, gy))
        shown = tags_with_field(chrome)
        assert any("world_points_m.6.0: Input should be a valid number" in t for t in shown), shown
        for axis, metres in ((0, "7"), (1, "30")):
            box = chrome.find_element(By.CSS_SELECTOR, f'#ground input[data-point="6"][data-axis="{axis}"]')
            box.send_keys(metres, Keys.TAB)
        wait(chrome, lambda b: "over 7 points" in b.find_element(By.ID, "rms").text)
        assert tags(chrome) == []
        rms = float(chrome.find_element(By.ID, "rms").text.split("error ")[1].split(" px")[0])
        assert rms < 1.0  # the clicked point lands within a pixel or so of where its metres say

        chrome.find_element(By.CSS_SELECTOR, "[data-tool=signal]").click()
        for top in (300.0, 330.0, 360.0):  # red, amber, green lamps of a second head
            drag(chrome, canvas, (1200.0, top), (1225.0, top + 25.0))
        wait(chrome, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#items .item[data-kind=signals]")) == 2)

        chrome.find_element(By.ID, "add-restriction").click()
        path = f"calibration.restrictions.{added}"
        field_problem_shows(chrome, f"{path}.lanes", "at least 1 item")
        chrome.find_element(By.CSS_SELECTOR, f'.field[data-path="{path}.lanes"] input[value="lane-1"]').click()
        field_problem_shows(chrome, f"{path}.lanes", "")
        windows = chrome.find_element(By.CSS_SELECTOR, f'.field[data-path="{path}.windows"] textarea')
        windows.send_keys("Mon-Fri 6-10", Keys.TAB)
        field_problem_shows(chrome, f"{path}.windows", 'write "[days ]HH:MM-HH:MM"')
        windows.clear()
        windows.send_keys("Mon-Fri 06:00-10:00", Keys.TAB)
        field_problem_shows(chrome, f"{path}.windows", "")

        chrome.find_element(By.ID, "save").click()
        wait(chrome, lambda b: "saved version 2" in b.find_element(By.ID, "status").text)

    cal = load_site(demo_copy).site.calibration
    assert cal.homography is not None and cal.homography.world_points_m[6] == (7.0, 30.0)
    assert cal.signals[1].roi is not None and near([cal.signals[1].roi.green[:2]], [(1200.0, 360.0)])
    restriction = cal.restrictions[added]
    assert (restriction.kind, restriction.lanes, restriction.allowed_classes, restriction.windows) == (
        "busway", ["lane-1"], ["bus"], ["Mon-Fri 06:00-10:00"])


def tags_with_field(browser: webdriver.Chrome) -> list[str]:
    tags(browser)
    return [f"{tag.get_attribute('data-field')}: {tag.text}" for tag in
            browser.find_elements(By.CSS_SELECTOR, "#tags .problem-tag")]


def test_draw_move_and_save_a_junction_line(chrome: webdriver.Chrome, demo_copy: Path) -> None:
    """The technician selects the stop line, draws its junction-entry line on the wrong side (the
    check says so next to it), drags both ends past the stop line, and saves."""
    plane = load_site(demo_copy).site.calibration.ground_plane()
    assert plane is not None
    # The demo's stop line is at 23 m along the road, across 0–10.5 m; traffic comes down from far.
    wrong, right = (plane.to_image(np.array([[0.3, y], [10.2, y]])).round(1).tolist() for y in (26.0, 19.0))
    (ax, ay), (bx, by) = load_site(demo_copy).site.calibration.stop_lines[0].line
    with running_tool(demo_copy) as tool:
        chrome.get(tool.url)
        wait(chrome, lambda b: b.execute_script("return document.body.dataset.ready") == "1")
        canvas = chrome.find_element(By.ID, "canvas")
        assert tags(chrome) == []

        chrome.find_element(By.CSS_SELECTOR, "[data-tool=junction]").click()
        assert "Select a stop line first" in chrome.find_element(By.ID, "hint").text
        chrome.find_element(By.CSS_SELECTOR, "[data-tool=select]").click()
        click(chrome, canvas, ((ax + bx) / 2 + 40, (ay + by) / 2))  # on the stop line, clear of the lane lines
        wait(chrome, lambda b: "stop-1" in b.find_element(By.CSS_SELECTOR, "#items .item.selected").text)
        chrome.find_element(By.CSS_SELECTOR, "[data-tool=junction]").click()
        click(chrome, canvas, tuple(wrong[0]))
        click(chrome, canvas, tuple(wrong[1]))
        shown = tags_with_field(chrome)
        assert any("stop_lines.0 (stop-1).junction_line" in t and "lies before the stop line" in t
                   for t in shown), shown

        drag(chrome, canvas, tuple(wrong[0]), tuple(right[0]))  # the select tool: the stop line stays selected
        drag(chrome, canvas, tuple(wrong[1]), tuple(right[1]))
        assert tags(chrome) == []
        chrome.find_element(By.ID, "save").click()
        wait(chrome, lambda b: "saved version 2" in b.find_element(By.ID, "status").text)

    stop = load_site(demo_copy).site.calibration.stop_lines[0]
    assert stop.junction_line is not None and near(stop.junction_line, [tuple(p) for p in right])
    assert near(stop.line, [(ax, ay), (bx, by)])  # the stop line itself did not move
