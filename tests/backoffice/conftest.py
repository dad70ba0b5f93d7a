"""Fixtures of the back office tests."""

from tests.browser import chrome  # noqa: F401  (real headless Chromium, for the review page)
