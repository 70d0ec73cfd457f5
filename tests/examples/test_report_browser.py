"""The HTML report renders in a real headless Chromium and shows the ranking and every figure.

Outside CI, where no Chromium is installed, the test is skipped with that
reason; under CI=true (where `.ci/run` installs Debian's chromium) it must run.
"""


from browser import ARGS, CHROMIUM, require_chromium

import orgsim
from orgsim.present.report import write
from orgsim.studies.compare import PolicySpec, compare

require_chromium()


def test_report_renders_with_ranking_and_every_figure(tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must provide chromium (see .ci/run)"
    scenario = orgsim.load("classroom", ["horizon=200", "warmup=40"])
    policies = [PolicySpec("fifo", {"priority": "fifo"}), PolicySpec("internal_first", {"priority": "internal_first"}),
                PolicySpec("external_first", {"priority": "external_first"})]
    comp = compare(scenario, policies, metric="external.nps", replications=30, seed=3, engine="numba", reference="fifo")
    csat = comp.for_metric("external.csat")  # the same runs on a second metric: a table of its own
    path = write(comp, tmp_path / "report.html", also=[csat])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        answer = page.inner_text("#answer")
        rows = page.eval_on_selector_all("#ranking tbody tr", "rs => rs.map(r => r.cells[1].innerText)")
        also = page.eval_on_selector_all("#ranking-external-csat tbody tr", "rs => rs.map(r => r.cells[1].innerText)")
        against = page.eval_on_selector_all("#against-reference tbody tr", "rs => rs.map(r => r.cells[0].innerText)")
        widths = page.eval_on_selector_all("figure img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
        figure_ids = page.eval_on_selector_all("figure", "els => els.map(e => e.id)")
        shot = page.screenshot(full_page=True)
        browser.close()
    best = comp.stats["best"]
    assert answer.startswith(best)
    assert [r.split(" (")[0] for r in rows] == comp.stats["ranking"]
    assert also == csat.stats["ranking"]
    assert sorted(against) == sorted(k for k in comp.labels if k != "fifo")  # each policy against the named one
    assert {"fig-nps", "fig-forest", "fig-utilisation", "fig-response"} <= set(figure_ids)
    assert widths and all(w > 100 and h > 100 for w, h in widths), widths
    assert all(u.startswith(("file:", "data:")) for u in requests), "the report must not touch the network"
    assert len(shot) > 20_000  # a rendered page with figures, not a blank one
