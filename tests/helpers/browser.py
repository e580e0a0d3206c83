"""Headless Chromium for the inspector's tests: Debian's `chromium` and `chromedriver` (installed by
scripts/ensure_browser.sh), driven with selenium; screenshots go to `test-artifacts/inspector/`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.paths import REPO_ROOT

ARTIFACTS = Path(os.environ.get("EMULATOR_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "inspector"
"""Where the tests keep their screenshots (CI keeps the folder as an artefact)."""


def chromium() -> WebDriver:
    """A headless Chromium; fails (never skips) when the browser or its driver is missing."""
    binary = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        raise RuntimeError("the inspector's tests need chromium and chromedriver on PATH "
                           "(bash scripts/ensure_browser.sh installs Debian's)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,1000",
                     "--disable-gpu"):
        options.add_argument(argument)
    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium would report usage over the network
    return webdriver.Chrome(options=options, service=Service(driver))


class Page:
    """The inspector of one server in the browser."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, address: str = "") -> "Page":
        """Go to `/inspector#/<address>` and wait until the page has loaded what it shows."""
        url = f"{self.base}/inspector#/{address}"
        if self.driver.current_url.startswith(f"{self.base}/inspector"):
            self.driver.execute_script("location.hash = arguments[0]", f"#/{address}")
        else:
            self.driver.get(url)
        self.wait(lambda d: d.execute_script("return location.hash") == f"#/{address}" or not address)
        self.wait_loaded()
        return self

    def wait_loaded(self) -> None:
        self.wait(lambda d: d.find_element(By.ID, "main").get_attribute("data-loaded") == "true")

    def wait(self, condition, timeout: float = 20):
        # The page re-renders as a run moves: an element found a moment ago may be gone; look again.
        ignored = (NoSuchElementException, StaleElementReferenceException)
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored).until(condition)

    def find(self, css: str, timeout: float = 20) -> WebElement:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), timeout)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_of(self, css: str, contains: str, timeout: float = 20, folded: bool = False) -> WebElement:
        """The first element matching `css` whose text holds `contains` (waiting for it); with `folded`, its
        text folded away (in a closed `<details>`) counts too."""
        def text(e: WebElement) -> str:  # whitespace made single spaces: a PDF's text breaks lines anywhere
            return " ".join((e.get_attribute("textContent") or "" if folded else e.text).split())

        def found(d):
            return next((e for e in d.find_elements(By.CSS_SELECTOR, css) if contains in text(e)), False)
        return self.wait(found, timeout)

    def image_loaded(self, css: str) -> WebElement:
        return self.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css)
                                         if d.execute_script("return arguments[0].naturalWidth", e) > 0), False))

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def full_screenshot(self, name: str, width: int = 1300) -> Path:
        """The whole page, as tall as its content (for a readable picture of a long run)."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, min(int(height) + 120, 6000))
        try:
            return self.screenshot(name)
        finally:
            self.driver.set_window_size(width, 1000)
