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
