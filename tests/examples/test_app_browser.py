"""`orgsim app` in a real headless Chromium: what-if, validation beside the control, classroom, download, two tabs.

The page's NPS difference must equal what `orgsim compare baseline --variant ...` prints for the same edits,
seed and replications (the paired difference against the scenario as written).  Every request
must stay on 127.0.0.1.  Screenshots of each state are kept in test-artefacts/app/.  Skipped, with the
reason, where no Chromium is installed (outside CI); under CI=true it must run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import ARGS, CHROMIUM, require_chromium

import orgsim
from orgsim.app.timeline import timeline

require_chromium()
pytest.importorskip("starlette", reason="the app extra is installed by `make test`")

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "app"
ORGSIM = str(Path(sys.executable).with_name("orgsim"))
REPS, SEED = 20, 3
COMPILED = 240_000  # ms: a cold numba cache compiles in about a minute on a loaded 2-core machine


@pytest.fixture(scope="module")
def app_url():
    proc = subprocess.Popen([ORGSIM, "app", "baseline"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("orgsim app: http://127.0.0.1:"):
        proc.kill()
        pytest.fail(f"orgsim app did not start: {line!r} {proc.stderr.read()[-2000:]}")
    yield line.split()[2]
    proc.terminate()
    proc.wait(timeout=30)


def expected_nps_difference(sets: list[str]) -> float:
    """What `orgsim compare baseline --variant` prints: the paired NPS difference, edited minus as written."""
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", "compare", "baseline", "--variant", "page=" + ",".join(sets),
                          "-r", str(REPS), "--seed", str(SEED), "--engine", "numba", "--format", "json", "--no-progress"],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    arm = next(label for label, plan in doc["policies"].items() if "page" in plan["names"])  # (one plan, one arm)
    return float(doc["against_reference"][arm]["mean"])


def open_page(context, url: str, requests: list):
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("[data-control='headcount.it']")
    page.fill("#replications", str(REPS))
    page.fill("#seed", str(SEED))
    page.dispatch_event("#seed", "change")
    return page


def set_heads(page, changes: dict[str, int]) -> None:
    for dept, n in changes.items():
        page.fill(f"[data-control='headcount.{dept}']", str(n))


def compiled_result(page) -> dict:
    """The shown NPS difference once the compiled engine answered the page's current settings."""
    page.wait_for_function(
        f"() => {{ const r = document.querySelector('#results'), i = document.querySelector('#run-info');"
        f" return r.dataset.state === 'done' && i.dataset.replications === '{REPS}' && i.dataset.seed === '{SEED}'; }}",
        timeout=COMPILED)
    cell = page.locator("#results tr[id='row-external.nps'] td.diff")
    return {"text": cell.inner_text(), "mean": float(cell.get_attribute("data-mean")),
            "engine": page.get_attribute("#run-info", "data-engine")}


def test_the_what_if_page_end_to_end(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        page = open_page(context, app_url, requests)
        page.wait_for_selector("#results[data-state]", timeout=COMPILED)
        page.screenshot(path=ARTEFACTS / "1-first-screen.png", full_page=True)

        set_heads(page, {"it": 4})  # 41 heads on a budget of 40: the validator's message beside the budget line
        page.wait_for_selector(".problem[data-for='budget']:has-text('exceed the budget 40')")
        assert page.inner_text("#problems") == ""
        page.screenshot(path=ARTEFACTS / "2-over-budget.png", full_page=True)

        set_heads(page, {"operations": 18})
        shown = compiled_result(page)
        page.screenshot(path=ARTEFACTS / "3-what-if.png", full_page=True)
        want = expected_nps_difference(["departments.it.headcount=4", "departments.operations.headcount=18"])
        assert shown["engine"] == "numba"
        assert shown["mean"] == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert shown["text"].startswith(f"{want:+.2f} ")

        with page.expect_download() as info:
            page.click("#download-yaml")
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        done = subprocess.run([ORGSIM, "validate", str(saved)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        edited = orgsim.load(saved)
        assert edited.departments["it"].headcount == 4 and edited.departments["operations"].headcount == 18

        page.click("#tab-graph")
        assert page.get_attribute("#bottleneck", "data-bottleneck") in orgsim.load("baseline").departments
        page.screenshot(path=ARTEFACTS / "4-who-serves-whom.png", full_page=True)

        page.click("#tab-classroom")
        page.wait_for_selector("#classroom[data-step='-1']")
        for _ in range(3):
            page.click("#cls-step")
        page.wait_for_selector("#classroom[data-step='2']")
        day = timeline(orgsim.load("classroom"), until=8.0, seed=0)["steps"]
        assert page.text_content("#cls-event") == day[2]["text"]
        page.screenshot(path=ARTEFACTS / "5-classroom-step.png", full_page=True)
        page.select_option("#cls-speed", "64")
        page.click("#cls-play")
        page.wait_for_function("() => Number(document.querySelector('#classroom').dataset.step) > 20")
        page.click("#cls-play")
        page.screenshot(path=ARTEFACTS / "6-classroom-playing.png", full_page=True)
        browser.close()
    assert requests and all(u.startswith((app_url, "blob:" + app_url.rstrip("/"), "data:")) for u in requests), \
        [u for u in requests if not u.startswith(app_url)]


def test_two_tabs_change_different_controls_and_each_sees_its_own_result(app_url):
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first = open_page(browser.new_context(), app_url, requests)
        second = open_page(browser.new_context(), app_url, requests)
        # each moves one head, so the budget stays spent as written (a head less would be spread back by fixed)
        set_heads(first, {"operations": 18, "sales": 8})
        set_heads(second, {"sales": 6, "it": 4})
        a, b = compiled_result(first), compiled_result(second)
        first.screenshot(path=ARTEFACTS / "7-tab-one.png", full_page=True)
        second.screenshot(path=ARTEFACTS / "8-tab-two.png", full_page=True)
        heads = [t.input_value("[data-control='headcount.operations']") for t in (first, second)]
        browser.close()
    assert heads == ["18", "19"]
    assert a["mean"] == pytest.approx(expected_nps_difference(["departments.operations.headcount=18",
                                                                    "departments.sales.headcount=8"]), rel=1e-9, abs=1e-9)
    assert b["mean"] == pytest.approx(expected_nps_difference(["departments.sales.headcount=6",
                                                                    "departments.it.headcount=4"]), rel=1e-9, abs=1e-9)
    assert a["mean"] != b["mean"]
    assert all(u.startswith(app_url) for u in requests)
