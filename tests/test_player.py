"""The backprop player in a real browser (Debian's chromium and chromedriver via selenium, offline).

One browser serves every test of this module. The numbers the page shows are compared with
``trace_backward``'s own lines and with the lecture's numbers, never with the page's data.
"""
from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from microgradnet import Value, practice, save_html, trace_backward, trace_forward
from microgradnet.examples import neuron
from microgradnet.player import Player, player_html
from microgradnet.trace import fmt, node_title, reading_order

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,720",
                     "--proxy-server=127.0.0.1:9", "--disable-background-networking"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_html(neuron().root, tmp_path_factory.mktemp("player") / "neuron.html")


def open_page(browser: WebDriver, page: Path, width: int = 1280, height: int = 720) -> None:
    browser.set_window_size(width, height)
    browser.get(page.as_uri())
    browser.get_log("performance")  # start each test's request log afresh
    assert browser.get_log("browser") == []  # no script error, no CSP violation while loading


def text(browser: WebDriver, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def caption(browser: WebDriver) -> str:
    """The caption's step line, without the frame's "backward step 3/13:" (the slider's label says it too)."""
    where, _, line = text(browser, "p-caption").partition(": ")
    assert where == text(browser, "p-where").replace("backward", "backward step").replace("forward", "forward step")
    return line


def press(browser: WebDriver, key: str) -> None:
    browser.find_element(By.TAG_NAME, "body").send_keys(key)


def lit_nodes(browser: WebDriver) -> list[str]:
    """The names of the graph's highlighted value boxes (their aria-labels)."""
    return [e.get_attribute("aria-label").split(":")[0] for e in browser.find_elements(By.CSS_SELECTOR, "g.lit[aria-label]")]


def details(browser: WebDriver) -> dict[str, str]:
    box = browser.find_element(By.ID, "p-details")
    terms = [e.text for e in box.find_elements(By.TAG_NAME, "dt")]
    return {"title": box.find_element(By.TAG_NAME, "h2").text,
            **dict(zip(terms, [e.text for e in box.find_elements(By.TAG_NAME, "dd")]))}


def test_stepping_shows_the_traces_numbers(browser: WebDriver, neuron_page: Path) -> None:
    root = neuron().root
    forward, backward = trace_forward(root), trace_backward(root)  # backward leaves root's final grads
    order = reading_order(root)
    open_page(browser, neuron_page)
    assert caption(browser) == "w0 = 2.00" and text(browser, "p-where") == "forward 1/13"
    for i, step in enumerate(forward[1:], 2):
        press(browser, Keys.ARROW_RIGHT)
        assert text(browser, "p-where") == f"forward {i}/13" and caption(browser) == str(step)
        assert lit_nodes(browser) == [node_title(step.node)]
    for i, step in enumerate(backward, 1):
        press(browser, Keys.ARROW_RIGHT)
        assert text(browser, "p-where") == f"backward {i}/13"
        assert caption(browser).startswith(str(step))  # and a note when the shown product is not the exact value
        assert lit_nodes(browser) == [node_title(step.node)]
        shown = details(browser)
        assert shown["title"] == node_title(step.node) and shown["data"] == fmt(step.node.data)
        assert shown["grad"] == fmt(step.node.grad)
        # what was sent appears at once under each input's wire (frames.py's id v{i}-grad; one consumer each here)
        sent = [browser.find_element(By.ID, f"v{order.index(inp)}-grad").text for inp in step.inputs]
        assert sent == [fmt(d) for d in step.downstream]
    assert caption(browser) == "w2: receives 0.20 (leaf)"  # the slide's last number
    press(browser, Keys.ARROW_RIGHT)  # past the end: stays
    assert text(browser, "p-where") == "backward 13/13"
    press(browser, Keys.ARROW_LEFT)
    assert caption(browser) == str(backward[-2]) and lit_nodes(browser) == ["x1"]
    press(browser, Keys.HOME)
    assert text(browser, "p-where") == "forward 1/13" and browser.find_element(By.ID, "p-prev").get_attribute("disabled")
    press(browser, Keys.END)
    assert text(browser, "p-where") == "backward 13/13"
    browser.find_element(By.ID, "p-home").click()
    browser.find_element(By.ID, "p-next").click()
    assert caption(browser) == "x0 = -1.00"
    assert browser.get_log("browser") == []


def test_the_slider_and_the_sign_of_the_exp_step(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)
    browser.execute_script("var s = document.getElementById('p-step'); s.value = '15';"
                           "s.dispatchEvent(new Event('input'));")
    assert text(browser, "p-where") == "backward 3/13"
    assert caption(browser) == "exp(-z) (exp): upstream -0.53 × local 0.37 = -0.20 → -z"


def test_hide_gradients(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)
    press(browser, Keys.END)
    press(browser, Keys.ARROW_LEFT)
    press(browser, Keys.ARROW_LEFT)  # w1: receives -0.39
    assert details(browser)["grad"] == "-0.39"
    browser.find_element(By.ID, "p-hide").click()
    assert browser.find_element(By.ID, "p-hide").get_attribute("aria-pressed") == "true"
    assert caption(browser) == "w1: receives ?" and details(browser)["grad"] == "hidden"
    for element in browser.find_elements(By.CSS_SELECTOR, "svg .grad"):
        assert not element.is_displayed()
    press(browser, Keys.ARROW_LEFT)
    assert caption(browser) == "w1·x1 (*): upstream ? × local (-2.00, -3.00) = ? → (w1, x1)"
    press(browser, "g")  # the key toggles it back
    assert caption(browser).startswith("w1·x1 (*): upstream 0.20 × local (-2.00, -3.00) = (-0.40, -0.60) → (w1, x1)")


def test_projector_and_print(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)

    def size(element_id: str) -> float:
        return float(browser.execute_script(
            "return parseFloat(getComputedStyle(document.getElementById(arguments[0])).fontSize)", element_id))

    normal = size("p-caption")
    browser.find_element(By.ID, "p-projector").click()
    assert size("p-caption") >= max(1.5 * normal, 32)  # large type for the back row
    browser.find_element(By.ID, "p-projector").click()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.ID, "p-next").is_displayed()  # no controls on paper
        assert browser.find_element(By.ID, "p-caption").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".graph svg").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_keyboard_only_node_details(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)
    nodes = browser.find_elements(By.CSS_SELECTOR, "g[tabindex='0']")
    assert len(nodes) == 13  # every Value can be reached with Tab
    for _ in range(40):  # Tab through the controls and the nodes, as a keyboard user does
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if (browser.switch_to.active_element.get_attribute("aria-label") or "").startswith("exp(-z) (exp)"):
            break
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    shown = details(browser)
    assert shown == {"title": "exp(-z) (exp)", "op": "exp", "data": "0.37", "grad": "-0.53"}
    rule = browser.find_element(By.CSS_SELECTOR, "#p-details li").text
    assert rule.startswith("to -z: 0.37") and "d/dx exp(x) = exp(x), at x = -1.00" in rule


def answer(browser: WebDriver, typed: str) -> None:
    box = browser.find_element(By.ID, "p-answer")
    box.send_keys(typed)
    box.send_keys(Keys.ENTER)


def feedback(browser: WebDriver) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#p-feedback li")]


def test_practice_in_the_page(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)
    browser.find_element(By.ID, "p-practice").click()
    assert browser.switch_to.active_element.get_attribute("id") == "p-answer"  # type at once
    assert text(browser, "p-question") == "step 1: f (1/x) = 0.73, upstream 1.00"
    assert text(browser, "p-prompt") == "1.1 downstream gradient to 1+exp(-z) (1.37):"
    assert details(browser)["grad"] == "hidden"
    answer(browser, "−0.53")  # the minus sign of the slides
    assert feedback(browser)[-1] == "1.1: −0.53 ✓ right"
    answer(browser, "banana")
    assert feedback(browser)[-1] == "“banana” is not a number, try again (Hint for a hint)"
    assert text(browser, "p-question").startswith("step 2:")  # garbage does not use up the question
    browser.find_element(By.ID, "p-hint").click()
    assert feedback(browser)[-1] == "hint: d/dx [x + 1] = 1; upstream -0.53; downstream = upstream × local"
    answer(browser, "0.9")
    assert feedback(browser)[-1] == "2.1: 0.9 ✗ not quite: upstream -0.53 × local 1.00 = -0.53"
    assert text(browser, "p-score") == "score: 1/2 correct"
    browser.find_element(By.ID, "p-stop").click()
    assert text(browser, "p-score") == "1/2 correct (stopped after 2 of 12 questions)"


def test_practice_names_the_mistake_as_practice_does(browser: WebDriver, neuron_page: Path) -> None:
    typed = ["-0.53", "-0.53", "0.37", "-0.20"]  # 3.1: the local gradient alone; 4.1: upstream passed on = sign
    said: list[str] = []
    answers = iter([*typed, "q"])
    practice(neuron().root, input=lambda prompt: next(answers), output=said.append)
    terminal = [line.strip() for line in said if line.startswith("      ")]  # the mistake lines
    assert terminal[0] == "that is the local gradient 0.37: you forgot to multiply it by the upstream gradient -0.53"
    assert terminal[1] == ("that is the upstream gradient -0.20 passed on: multiply it by the local gradient -1.00"
                           " or sign error: the size is right, the sign is not")
    open_page(browser, neuron_page)
    browser.find_element(By.ID, "p-practice").click()
    for answer_ in typed:
        answer(browser, answer_)
    lines = feedback(browser)
    assert lines[3] == "3.1: 0.37 ✗ not quite: upstream -0.53 × local 0.37 = -0.20" and lines[4] == terminal[0]
    assert lines[5] == "4.1: -0.20 ✗ not quite: upstream -0.20 × local -1.00 = 0.20" and lines[6] == terminal[1]
    answer(browser, "0.3")  # 5.1 is 0.20: a wrong number that is no usual mistake gets the working alone
    assert feedback(browser)[-1] == "5.1: 0.3 ✗ not quite: upstream 0.20 × local 1.00 = 0.20"


def test_practice_to_the_end(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page, 390, 844)
    browser.find_element(By.ID, "p-practice").click()
    right = [fmt(d) for step in trace_backward(neuron().root) if step.inputs for d in step.downstream]
    assert len(right) == 12
    for i, value in enumerate(right):
        answer(browser, "1/2" if i == 6 else value)  # one fraction, and it is wrong
    assert text(browser, "p-score") == "11/12 correct"
    assert "6.1: 1/2 ✗ not quite: upstream 0.20 × local 1.00 = 0.20" in feedback(browser)
    assert feedback(browser)[-1] == "8.2: -0.59 ✓ right"  # x1 gets -0.59 exactly, -0.60 from the rounded numbers
    assert not browser.find_element(By.ID, "p-form").is_displayed()


def test_no_request_leaves_the_page(browser: WebDriver, neuron_page: Path) -> None:
    open_page(browser, neuron_page)
    for key in (Keys.ARROW_RIGHT, Keys.END, Keys.ARROW_LEFT, "g"):
        press(browser, key)
    browser.find_element(By.CSS_SELECTOR, "g[tabindex='0']").click()
    browser.find_element(By.ID, "p-practice").click()
    answer(browser, "1")
    browser.find_element(By.ID, "p-hint").click()
    assert [u for u in requested(browser) if not u.startswith("file:")] == []
    policy = browser.find_element(By.CSS_SELECTOR, "meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    blocked = browser.execute_async_script("""
        var done = arguments[0], violations = [];
        document.addEventListener('securitypolicyviolation', function (e) { violations.push(e.violatedDirective); });
        var img = new Image(); img.src = 'http://example.com/pixel.png';
        fetch('http://example.com/data').catch(function () {}).then(function () {
          setTimeout(function () { done(violations); }, 300); });""")
    assert sorted(blocked) == ["connect-src", "img-src"]  # a script that tries is stopped by the page's policy
    browser.get_log("browser")  # the two violations, reported


def requested(browser: WebDriver) -> list[str]:
    """The URLs the page asked for since the log was last read (none blocked: the log is read before any is)."""
    messages = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    return [m["params"]["request"]["url"] for m in messages if m["method"] == "Network.requestWillBeSent"]


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)])
def test_screenshots_and_fit(browser: WebDriver, neuron_page: Path, tmp_path: Path, width: int, height: int) -> None:
    open_page(browser, neuron_page, width, height)
    press(browser, Keys.END)
    for _ in range(6):
        press(browser, Keys.ARROW_LEFT)  # backward step 7: w0·x0 (*)
    shot = tmp_path / f"neuron-{width}x{height}.png"
    browser.save_screenshot(str(shot))
    inner = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner[1] <= inner[0]  # nothing wider than the window: no sideways scrolling of the page
    assert png_size(shot)[0] == inner[0]
    caption = browser.find_element(By.ID, "p-caption")
    assert caption.is_displayed() and caption.rect["x"] + caption.rect["width"] <= inner[0]
    assert float(browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", caption)) >= 16


def test_page_budget_and_notebook_display() -> None:
    page = player_html(neuron().root)
    assert len(page.encode("utf-8")) < 300_000  # the budget for the neuron page
    assert not re.search(r"(src|href)=\"https?:", page)
    bundle = Player(neuron().root)._repr_mimebundle_()
    assert bundle["text/html"].startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and 'sandbox="allow-scripts"' in bundle["text/html"]
    assert "exp(-z) (exp): upstream -0.53 × local 0.37 = -0.20 → -z" in bundle["text/plain"]


def test_practice_needs_an_op(tmp_path: Path) -> None:
    leaf = Value(2.0, label="x")
    page = save_html(leaf, tmp_path / "leaf.html")
    data = re.search(r'<script type="application/json" id="player-data">(.*?)</script>', page.read_text(), re.DOTALL)
    assert data is not None and json.loads(data[1])["practice"] is None


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="save_html: expected a Value, got float"):
        player_html(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be 'steps' or 'practice', got 'quiz'"):
        player_html(neuron().root, mode="quiz")


def test_a_graph_that_backward_already_ran_on_shows_one_pass() -> None:
    import warnings

    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    f = z * (x + y)
    f.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = player_html(f)
    assert "x: receives -2.00 (leaf)" in page and "receives -4.00" not in page
    assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)
