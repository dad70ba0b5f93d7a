"""The officer's whole flow in real headless Chromium against `python -m backoffice review`: log
in, filter the queue, open a violation from the keyboard, reject it with a reason, approve it,
download the confirmation letter, and (as a supervisor) find both decisions in the audit log."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.backoffice.kit import PASSWORD, Office
from tests.brokers import free_port
from tests.conftest import ROOT


@pytest.fixture
def review_server(office: Office) -> Iterator[str]:
    with running_review(office) as url:
        yield url


@contextmanager
def running_review(office: Office) -> Iterator[str]:
    """`python -m backoffice review` on the office's store; its address, without the trailing slash."""
    port = free_port()
    command = [sys.executable, "-m", "backoffice", "review", "--data", str(office.data), "--keys",
               str(office.keys), "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("open ")
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, f"review page did not start: {url}"
            time.sleep(0.1)
        yield url.rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait(chrome: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    # A post answers with a redirect to a new page: elements of the old one go stale meanwhile.
    return WebDriverWait(chrome, 20, ignored_exceptions=(StaleElementReferenceException,))


def log_in(chrome: webdriver.Chrome, url: str, username: str) -> None:
    chrome.get(url + "/")
    wait(chrome).until(lambda d: d.find_elements(By.ID, "login"))  # any page sends a stranger here
    chrome.find_element(By.NAME, "username").send_keys(username)
    chrome.find_element(By.NAME, "password").send_keys(PASSWORD + Keys.ENTER)
    wait(chrome).until(lambda d: d.find_elements(By.ID, "who"))


def history(chrome: webdriver.Chrome) -> str:
    return str(chrome.find_element(By.ID, "history").text)


LOADED = "return arguments[0].complete && arguments[0].naturalWidth"


def evidence_loads(chrome: webdriver.Chrome) -> None:
    """Every picture really loads, and the clip plays (its WebM copy)."""
    images = chrome.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(images) >= 5
    wait(chrome).until(lambda d: all(d.execute_script(LOADED, img) > 0 for img in images))
    video = chrome.find_element(By.ID, "clipview")
    deadline = time.monotonic() + 20
    while chrome.execute_script("return arguments[0].readyState", video) < 1:  # HAVE_METADATA
        assert chrome.execute_script("return arguments[0].error", video) is None, "the browser cannot play the clip"
        assert time.monotonic() < deadline, "the clip's metadata never loaded"
        time.sleep(0.1)
    assert chrome.execute_script("return arguments[0].duration", video) == pytest.approx(4.1, abs=0.15)


def download_letter(chrome: webdriver.Chrome, downloads: Path) -> Path:
    downloads.mkdir()
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chrome.find_element(By.ID, "letter").click()
    deadline = time.monotonic() + 20
    while not list(downloads.glob("*.pdf")):
        assert time.monotonic() < deadline, f"no letter downloaded: {list(downloads.iterdir())}"
        time.sleep(0.1)
    (letter,) = downloads.glob("*.pdf")
    return letter


def test_an_officer_reviews_and_a_supervisor_audits_in_a_real_browser(
    review_server: str, office: Office, chrome: webdriver.Chrome, tmp_path: Path,
) -> None:
    chrome.get(review_server + "/login")
    chrome.delete_all_cookies()
    log_in(chrome, review_server, "sari")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#records tr.row")) == 3
    site = Select(chrome.find_element(By.NAME, "site"))
    site.select_by_index(1)
    Select(chrome.find_element(By.NAME, "status")).select_by_visible_text("all")
    chrome.find_element(By.ID, "filter").click()
    wait(chrome).until(lambda d: "status=all" in d.current_url and "site=" in d.current_url)
    rows = chrome.find_elements(By.CSS_SELECTOR, "#records tr.row")
    assert len(rows) == 3 and all(r.find_element(By.CLASS_NAME, "plate").text == "unreadable" for r in rows)
    thumbs = chrome.find_elements(By.CSS_SELECTOR, "img.thumb")
    wait(chrome).until(lambda d: all(d.execute_script(LOADED, img) > 0 for img in thumbs))

    body = chrome.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys(Keys.ENTER)  # the first row, opened from the keyboard
    wait(chrome).until(lambda d: d.find_elements(By.ID, "verified"))
    assert chrome.find_element(By.ID, "verified").get_attribute("class") == "ok"
    evidence_loads(chrome)
    record_url = chrome.current_url
    chrome.find_element(By.TAG_NAME, "body").send_keys("r")  # r: to the reason; Enter rejects
    chrome.switch_to.active_element.send_keys("plate hidden by a motorcycle" + Keys.ENTER)
    wait(chrome).until(lambda d: "rejected" in history(d))
    assert "sari: rejected (was pending) — plate hidden by a motorcycle" in history(chrome)
    chrome.find_element(By.NAME, "reason").send_keys("plate read off the clip")
    chrome.find_element(By.TAG_NAME, "body").send_keys("a")  # a: approve
    wait(chrome).until(lambda d: "approved" in history(d))
    assert "sari: approved (was rejected) — plate read off the clip" in history(chrome)

    letter = download_letter(chrome, tmp_path / "downloads")
    assert letter.name.startswith("ETLE-") and letter.read_bytes().startswith(b"%PDF")

    chrome.get(review_server + "/audit")
    assert "403" in chrome.page_source or "supervisor" in chrome.find_element(By.TAG_NAME, "body").text
    chrome.get(record_url)
    chrome.find_element(By.CSS_SELECTOR, "header form button").click()  # log out
    wait(chrome).until(lambda d: d.find_elements(By.ID, "login"))
    log_in(chrome, review_server, "rina")
    chrome.get(review_server + "/audit")
    audit = chrome.find_element(By.ID, "audit").text
    assert "Bripka Sari (sari)" in audit and "plate hidden by a motorcycle" in audit
    assert audit.index("plate read off the clip") < audit.index("plate hidden by a motorcycle")  # newest first
