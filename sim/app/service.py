"""What the page asks for, answered as plain data: scenario controls, what-ifs, the classroom day, downloads.

Every request carries all its settings (scenario or upload, edits, replications, seed), so two tabs never
share state; results are remembered by those settings only, so moving a control back is instant and the
as-written side of a what-if is simulated once per (scenario, replications, seed, engine).  Simulations
run one at a time (the machine's cores are shared by numba's threads within one run).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

from orgsim.app.engines import Warmup, first_look
from orgsim.app.graph import graph
from orgsim.app.sources import Sources
from orgsim.app.timeline import timeline
from orgsim.app.whatif import INVESTMENTS, WHATIF, WRITTEN, Edits, apply_edits, csv_text, difference_rows, paired, series
from orgsim.errors import OptionError
from orgsim.scenario.loader import dump
from orgsim.scenario.schema import PRIORITIES
from orgsim.scenario.traffic import arrival_rate
from orgsim.studies.allocation import headcount

MAX_REPLICATIONS = 5000
CLASSROOM_DAY = 8.0  # one working day of the classroom scenario, in its hours
CONTROL_OF = [  # a problem's field path -> the control it belongs to
    (re.compile(r"departments\.(\w+)\.headcount"), "headcount.{0}"),
    (re.compile(r"departments\.(\w+)"), "headcount.{0}"),
    (re.compile(r"policy\.investments\.(\w+)"), "investments.{0}"),
    (re.compile(r"segments\.(\w+)"), "demand.{0}"),
    (re.compile(r"policy\.budget"), "budget"),
    (re.compile(r"policy\.priority"), "priority"),
]


def problems(exc: Exception) -> list[dict]:
    """The validator's messages, each with the control it belongs to (None: the page's general message)."""
    if isinstance(exc, OptionError):
        return [{"control": exc.option, "message": f"{exc.option}: {exc.message}"}]
    out = []
    for line in exc.problems:
        control = None
        for pattern, name in CONTROL_OF:
            m = pattern.search(line)
            if m:
                control = name.format(*m.groups())
                break
        out.append({"control": control, "message": line})
    return out


def _whole(body: dict, name: str, low: int, high: int, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OptionError(name, f"must be a whole number from {low} to {high} (got {value!r})")
    return value


class Service:
    """The app's state: offered scenarios, the engine warm-up, remembered results and the simulation lock."""

    def __init__(self, initial: str | None, warm: bool = True):
        self.sources = Sources(initial)
        self.warmup = Warmup(self.sources.paths[self.sources.initial])
        if warm:
            self.warmup.start()
        self.lock = threading.Lock()
        self.results: OrderedDict[tuple, tuple] = OrderedDict()
        self.written: OrderedDict[tuple, object] = OrderedDict()

    def status(self) -> dict:
        return {"engine": self.warmup.status(), "scenarios": list(self.sources.paths), "initial": self.sources.initial}

    def scenario(self, body: dict) -> dict:
        """The controls of a scenario as written, its text, and who serves whom by offered load."""
        _, sc = self.sources.get(body)
        heads = headcount(sc)
        return {
            "name": sc.name, "text": self.sources.text(body), "time_unit": sc.time_unit,
            "departments": [{"name": d, "heads": heads[d]} for d in sc.departments],
            "investments": {k: getattr(sc.policy.investments, k) for k in INVESTMENTS},
            "budget": sc.policy.budget, "allocation": sc.policy.allocation,
            "priority": sc.policy.priority, "priorities": list(PRIORITIES),
            "segments": [{"name": s, "rate": arrival_rate(seg, sc)} for s, seg in sc.segments.items()],
            "graph": graph(sc),
        }

    def run(self, body: dict) -> tuple[object, object, dict]:
        """(as-written result, what-if result, facts about the run), remembered by the request's settings."""
        key, sc = self.sources.get(body)
        edits = Edits.from_json(body.get("edits"))
        reps = _whole(body, "replications", 2, MAX_REPLICATIONS, 100)
        seed = _whole(body, "seed", 0, 2**31 - 1, 0)
        whatif = apply_edits(sc, edits)
        engine, reps, quick = self.warmup.engine(reps)
        full = (key, edits.key(), reps, seed, engine)
        start = time.perf_counter()
        with self.lock:
            if full not in self.results:
                written = self.written.get((key, reps, seed, engine))
                run_sc, run_whatif = (first_look(sc), first_look(whatif)) if quick else (sc, whatif)
                a, b = paired(run_sc, None if edits.empty else run_whatif, reps, seed, engine, written)
                _remember(self.written, (key, reps, seed, engine), a)
                _remember(self.results, full, (a, b, whatif))
            a, b, whatif = self.results[full]
        facts = {"engine": engine, "replications": reps, "seed": seed, "quick": quick, "horizon": a.scenario.horizon,
                 "seconds": round(time.perf_counter() - start, 4), "whatif": whatif}
        return a, b, facts

    def whatif(self, body: dict) -> dict:
        a, b, facts = self.run(body)
        rows = difference_rows(a, b)
        net = graph(facts.pop("whatif"), b)
        return {"ok": True, **facts, "rows": rows, "series": series(a, b, net["bottleneck"]), "graph": net,
                "headcount": {WRITTEN: a.headcount, WHATIF: b.headcount}}

    def classroom(self, body: dict) -> dict:
        """One working day of the classroom scenario (with the page's edits when it is the scenario shown)."""
        _, sc = self.sources.get({"scenario": "classroom"})
        edits = Edits.from_json(body.get("edits"))
        seed = _whole(body, "seed", 0, 2**31 - 1, 0)
        return timeline(sc if edits.empty else apply_edits(sc, edits), CLASSROOM_DAY, seed)

    def download(self, kind: str, body: dict) -> tuple[str, str, str]:
        """(file name, media type, text) of the what-if as scenario YAML, the comparison as CSV or HTML report."""
        a, b, facts = self.run(body)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", facts["whatif"].name).strip("_")[:60] or "what_if"
        if kind == "yaml":
            return f"{stem}.yaml", "application/yaml", dump(facts["whatif"])
        if kind == "csv":
            return f"{stem}.csv", "text/csv", csv_text(difference_rows(a, b))
        if kind == "html":
            return f"{stem}.html", "text/html", self._report(a, b, facts)
        raise OptionError("download", f"unknown kind {kind!r} (allowed: yaml, csv, html)")

    def _report(self, a, b, facts) -> str:
        from orgsim.present.report import render
        from orgsim.studies.compare import Comparison

        comp = Comparison("external.nps", [WRITTEN, WHATIF], {WRITTEN: a, WHATIF: b},
                          {WRITTEN: a.headcount, WHATIF: b.headcount}, facts["seed"]).analyse()
        with self.lock:  # matplotlib's pyplot is not thread-safe
            return render(comp, f"What does the what-if change for “{a.scenario.name}”, and how sure can we be?")


def _remember(memory: OrderedDict, key, value, size: int = 32) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > size:
        memory.popitem(last=False)
