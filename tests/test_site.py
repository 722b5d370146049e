"""The documentation site: built strictly from the repository, opened in Debian's chromium, offline.

The build is the one the README gives (``mkdocs build --strict``); a broken link or a missing
reference fails it. The pages are opened from ``file://``, as a teacher's copy would be, and no
request may leave the built site.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
IN_CI = os.environ.get("CI") == "true"


def _needs(ok: bool, what: str) -> None:
    """Skip on a developer's machine without ``what``; in CI, where .ci/run installs it, fail instead."""
    if not ok:
        if IN_CI:
            pytest.fail(f"{what} is missing: .ci/run must install it")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly into a temporary directory."""
    _needs(shutil.which("mkdocs") is not None or _has_module("mkdocs"), "mkdocs (the docs extra)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by its chromedriver, logging console messages and network requests."""
    _needs(CHROMIUM is not None and CHROMEDRIVER is not None, "chromium and chromium-driver")
    _needs(_has_module("selenium"), "selenium (the dev extra)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1280,720"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _open(browser, page: Path) -> tuple[list[str], list[str]]:
    """Open ``page``; return the console errors and the URLs of every request it made."""
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(page.as_uri())
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    requests = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    return errors, requests


@pytest.mark.parametrize("page", ["index.html", "notebooks/02_sigmoid_neuron.html", "examples/neuron.html",
                                  "cli.html", "api/engine.html"])
def test_page_opens_offline_without_console_errors(site, browser, page):
    errors, requests = _open(browser, site / page)
    assert errors == []
    outside = [url for url in requests if not (url.startswith(site.as_uri()) or url.startswith("data:"))]
    assert outside == [], f"requests leaving the site: {outside}"
    assert "microgradnet" in browser.title


def test_every_notebook_and_example_has_a_page(site):
    from microgradnet.examples import EXAMPLES

    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert (site / "notebooks" / f"{notebook.stem}.html").is_file(), notebook.name
    for name, example in EXAMPLES.items():
        if not example.trains:
            assert (site / "examples" / f"{name}.html").is_file(), name


def test_notebook_page_shows_the_stored_outputs(site, browser):
    _open(browser, site / "notebooks/02_sigmoid_neuron.html")
    text = browser.find_element("tag name", "body").text
    assert "0.73" in text and "-0.53" in text  # the slide's forward output and the first backward step


def test_cli_reference_is_the_parsers_own_help(site, browser, monkeypatch):
    import argparse

    from microgradnet.cli import build_parser

    monkeypatch.setenv("COLUMNS", "100")  # the width the site's generator uses
    _open(browser, site / "cli.html")
    page = " ".join(browser.find_element("tag name", "body").text.split())
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(commands.choices) >= 5
    for name, sub in commands.choices.items():
        assert " ".join(sub.format_help().split()) in page, name


def test_example_page_embeds_the_player_and_it_steps_to_the_slide_numbers(site, browser):
    from selenium.webdriver.common.by import By

    errors, requests = _open(browser, site / "examples/neuron.html")
    assert errors == [] and all(url.startswith((site.as_uri(), "data:")) for url in requests)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "f (1/x): upstream 1.00 × local -0.53 = -0.53" in text  # the trace printed on the page
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.mgn-player"))
    try:
        browser.find_element(By.ID, "p-end").click()  # the last backward step, then back through the slide
        assert browser.find_element(By.ID, "p-caption").text.endswith("w2: receives 0.20 (leaf)")
        seen = []
        for _ in range(13):
            seen.append(browser.find_element(By.ID, "p-caption").text)
            browser.find_element(By.ID, "p-prev").click()
        steps = " ".join(seen)
        for slide in ("f (1/x): upstream 1.00 × local -0.53 = -0.53", "exp(-z) (exp): upstream -0.53 × local 0.37 = -0.20",
                      "-z (*-1): upstream -0.20 × local -1.00 = 0.20"):
            assert slide in steps
    finally:
        browser.switch_to.default_content()
    assert browser.get_log("browser") == []
