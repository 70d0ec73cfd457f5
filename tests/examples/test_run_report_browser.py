"""The run report (`orgsim run --report`) renders in a real headless Chromium: the warnings, the metrics table, every figure.

Outside CI, where no Chromium is installed, the test is skipped with that reason; under CI=true (where
`.ci/run` installs Debian's chromium) it must run.
"""


from browser import ARGS, CHROMIUM, require_chromium

import orgsim
from orgsim.present.run_report import write

require_chromium()


def test_run_report_renders_warnings_table_and_every_figure(tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must provide chromium (see .ci/run)"
    result = orgsim.run("hospital", engine="numba", replications=12, seed=2)  # its waits grow all year: warnings
    path = write(result, tmp_path / "run.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        warnings = page.eval_on_selector_all("#warnings li", "els => els.map(e => e.innerText)")
        names = page.eval_on_selector_all("#metrics tbody tr", "rs => rs.map(r => r.cells[0].innerText)")
        marked = page.eval_on_selector_all("#metrics tbody tr.moves", "rs => rs.map(r => r.cells[0].innerText)")
        sizes = page.eval_on_selector_all("figure img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
        figure_ids = page.eval_on_selector_all("figure", "els => els.map(e => e.id)")
        browser.close()
    assert warnings == result.warnings() and warnings
    assert names == list(result.values)
    assert marked == [m for m, d in result.drift.items() if d.test is not None and d.test.trending]
    assert {"fig-external", "fig-utilisation", "fig-morale", "fig-headcount"} <= set(figure_ids)
    assert sizes and all(w > 300 and h > 200 for w, h in sizes), sizes
    assert all(u.startswith(("file:", "data:")) for u in requests), "the report must not touch the network"


def test_run_report_draws_the_hour_of_week_profile(tmp_path):
    """A run with `profile: true` gets a table of each profile metric's peak and trough and one heatmap panel each."""
    from playwright.sync_api import sync_playwright

    table = '{"mon-fri 08:00-12:00": 14, "mon-fri 12:00-18:00": 8}'
    sc = orgsim.load("call_centre", ["profile=true", f"segments.callers.arrivals.rate={table}"])
    result = orgsim.run(sc, engine="numba", replications=12, seed=2)
    plain = write(orgsim.run("call_centre", engine="numba", replications=3, seed=2), tmp_path / "plain.html")
    path = write(result, tmp_path / "run.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        rows = page.eval_on_selector_all("#profile tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
        week = page.eval_on_selector("#fig-week img", "e => [e.naturalWidth, e.naturalHeight, e.alt]")
        page.goto(plain.as_uri())
        page.wait_for_load_state("load")
        absent = page.eval_on_selector_all("#fig-week, #profile", "els => els.length")
        browser.close()
    assert [r[0] for r in rows] == list(result.profiles)
    peak = dict((r[0], r[1]) for r in rows)["external.arrivals"]
    assert peak[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri"} and peak[4:6] in {"08", "09", "10", "11"}, peak
    width, height, alt = week
    assert width > 600 and height > 150 * len(result.profiles), week  # one panel per metric, stacked
    assert all(name in alt for name in result.profiles)
    assert absent == 0  # a run without a profile has no such section
