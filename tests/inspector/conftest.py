"""Fixtures of the inspector area: one headless Chromium for the area, a page on a server; a screenshot
of the page whenever a test fails (`failed-<test>.png`)."""

from __future__ import annotations

import pytest

from tests.helpers.browser import Page, chromium


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "browser" in item.fixturenames:
        driver = item.funcargs["browser"]
        Page(driver, "").screenshot(f"failed-{item.name}")


@pytest.fixture(scope="session")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def inspector(browser):
    """`inspector(server)`: the inspector of `server` in the browser, with a fresh tab state."""
    def open_on(srv) -> Page:
        browser.get(f"http://127.0.0.1:{srv.port}/inspector/static/index.html")  # same origin, to clear state
        browser.execute_script("sessionStorage.clear()")
        browser.get("about:blank")
        return Page(browser, f"http://127.0.0.1:{srv.port}")
    return open_on
