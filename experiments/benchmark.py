"""Speed of orgsim's engines, measured in one run: customers per second and ratios, never timed in tests.

Compares, on the same work and the same machine:
  * M/M/c (`call_centre.yaml`, patience off): a bare hand-written SimPy loop,
    the reference engine, and the numba engine (1 thread);
  * `jackson.yaml`: the reference engine, the peer library Ciw, the numba engine;
  * `baseline.yaml`: reference vs numba per core and on both cores (the
    reference on two worker processes, numba on two threads);
  * numba scaling with replications (10 -> 100,000), compile time cold and cached,
    and peak memory;
  * selection with a guarantee (`compare --select`): replications the Kim-Nelson procedure
    uses against a fixed equal allocation with the same guarantee, on planted normal problems
    and on `baseline`'s allocation policies.

  * time-varying demand: the kernel per `baseline` replication with its rates as weekly tables
    against the plain rates (A/B in one process).

  * staffing: the same, with every department in three overlapping shifts around the clock too.

  * open clock: contact-centre style, the front office closed at night, patience on the open clock
    and the supplier on office hours.

  * levers: `baseline` as written against `baseline` with communication, shared feedback, continuous
    improvement and complaint recovery all on (two heads' worth each on top of the budget).

  * event logs: `orgsim fit` on the loan and purchasing logs, `orgsim score -r 20` of each fit, and the
    held-out checks of both shared logs (fit on half the cases, score on the other half).

Usage: python experiments/benchmark.py [--quick] [--skip-scaling] [--selection-only] [--demand-only] [--staffing-only]
       [--profile-only] [--open-clock-only] [--levers-only] [--eventlog-only]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy
from numba import njit

import orgsim
from orgsim.scenario.traffic import routing_matrix


def bare_simpy_mmc(rate: float, mean: float, servers: int, horizon: float, seed: int = 1) -> int:
    """A minimal SimPy M/M/c: the speed ceiling for any SimPy model of the same work."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=servers)
    done = [0]

    def customer():
        with staff.request() as req:
            yield req
            yield env.timeout(rng.exponential(mean))
        done[0] += 1

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1.0 / rate))
            env.process(customer())

    env.process(arrivals())
    env.run(until=horizon)
    return done[0]


@njit  # not cached: the benchmark runs as __main__, and compiling this takes a second
def _bare_numba_mmc(rate: float, mean: float, servers: int, horizon: float, seed: int) -> tuple[int, float]:
    """The loop of ``bare_numba_mmc``: completions in a binary heap, waiting arrivals in a ring buffer."""
    np.random.seed(seed)
    heap = np.empty(servers)  # completion times of the busy servers
    busy = 0
    ring = np.empty(1 << 16)  # arrival times of the waiting customers, first come first served
    head = 0
    waiting = 0
    t_arrive = np.random.exponential(1.0 / rate)
    done = 0
    wait = 0.0
    while True:
        if busy > 0 and heap[0] < t_arrive:  # a completion
            t = heap[0]
            if t >= horizon:
                break
            done += 1
            if waiting > 0:  # the freed server takes the longest-waiting customer: the top's key grows
                wait += t - ring[head]
                head = (head + 1) & 0xFFFF
                waiting -= 1
                x = t + np.random.exponential(mean)
            else:
                busy -= 1
                x = heap[busy]
            i = 0
            while True:  # sift x down from the top
                c = 2 * i + 1
                if c >= busy:
                    break
                if c + 1 < busy and heap[c + 1] < heap[c]:
                    c += 1
                if x <= heap[c]:
                    break
                heap[i] = heap[c]
                i = c
            heap[i] = x
        else:  # an arrival
            t = t_arrive
            if t >= horizon:
                break
            if busy < servers:
                x = t + np.random.exponential(mean)
                i = busy
                busy += 1
                while i > 0 and heap[(i - 1) >> 1] > x:  # sift up
                    heap[i] = heap[(i - 1) >> 1]
                    i = (i - 1) >> 1
                heap[i] = x
            else:
                if waiting == 1 << 16:
                    raise ValueError("queue beyond the ring buffer: the M/M/c is unstable")
                ring[(head + waiting) & 0xFFFF] = t
                waiting += 1
            t_arrive = t + np.random.exponential(1.0 / rate)
    return done, wait


def bare_numba_mmc(rate: float, mean: float, servers: int, horizon: float, seed: int = 1) -> int:
    """A minimal hand-written numba M/M/c (no metrics beyond the total wait): the speed ceiling for an event loop.

    The engine's M/M/c path does the same work plus what every orgsim model
    needs (pools, routing, satisfaction, per-period and sojourn statistics);
    the ratio of the two, measured in the same run, is its overhead.
    """
    _bare_numba_mmc(rate, mean, servers, 1.0, seed)  # compile outside the caller's timing
    return _bare_numba_mmc(rate, mean, servers, horizon, seed)[0]


def ciw_jackson(scenario, horizon: float, seed: int = 1) -> int:
    """The same open Jackson network in Ciw (the peer library), completed customers."""
    import ciw

    seg = next(iter(scenario.segments.values()))
    steps, q = routing_matrix(seg)
    n = len(steps)
    routing = q.tolist()
    arrivals = [ciw.dists.Exponential(seg.arrivals.rate)] + [None] * (n - 1)
    services, servers = [], []
    for ref in steps:
        dept = scenario.departments[ref.split(".")[0]]
        services.append(ciw.dists.Exponential(1.0 / (scenario.service(ref).time.mean / dept.skill)))
        servers.append(dept.headcount)
    network = ciw.create_network(
        arrival_distributions=arrivals, service_distributions=services,
        routing=routing, number_of_servers=servers,
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    return sum(1 for r in sim.get_all_records() if r.destination == -1)


def completed_orders(result) -> float:
    return float(np.nansum(result.values["external.completed"]))


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def orgsim_rate(scenario, engine: str, reps: int, seed: int = 1) -> tuple[float, float]:
    """Completed external orders per second of wall time (warm-up counted as zero)."""
    result, secs = timed(lambda: orgsim.run(scenario, engine=engine, replications=reps, seed=seed))
    return completed_orders(result) / secs, secs


def simpy_processes_rate(scenario, reps: int, workers: int) -> float:
    """Customers per second of the reference engine on *workers* single-threaded processes (a local Dask cluster).

    SimPy is pure Python, so its second core comes from a second process; the
    cluster is started and warmed up outside the timing.
    """
    from orgsim.execution.backends import DaskBackend

    with DaskBackend(workers=workers) as backend:
        orgsim.run(scenario, engine="simpy", replications=workers, seed=0, backend=backend)
        result, secs = timed(lambda: orgsim.run(scenario, engine="simpy", replications=reps, seed=1, backend=backend))
    return completed_orders(result) / secs


def numba_threads_rate(scenario_name: str, sets: list[str], reps: int, threads: int) -> float:
    """Customers per second of the numba engine in a fresh process pinned to *threads* threads."""
    code = (
        "import time, numpy as np, orgsim\n"
        f"sc = orgsim.load({scenario_name!r}, {sets!r})\n"
        "orgsim.run(sc, engine='numba', replications=2, seed=0)\n"
        "t = time.perf_counter()\n"
        f"r = orgsim.run(sc, engine='numba', replications={reps}, seed=1)\n"
        "print(np.nansum(r.values['external.completed']) / (time.perf_counter() - t))\n"
    )
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def compile_times() -> tuple[float, float]:
    """Seconds to first result in a fresh process: with an empty numba cache, then with it filled."""
    import tempfile

    code = "import orgsim; orgsim.run(orgsim.load('jackson'), engine='numba', replications=1, seed=0)"
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        _, cold = timed(lambda: subprocess.run([sys.executable, "-c", code], env=env, check=True))
        _, warm = timed(lambda: subprocess.run([sys.executable, "-c", code], env=env, check=True))
    _, bare = timed(lambda: subprocess.run([sys.executable, "-c", "import orgsim"], check=True))
    return cold - bare, warm - bare


def validation_seconds(steps: int, distinct: bool) -> float:
    """Wall time of `orgsim validate` on a scenario whose journey has *steps* steps (validation is linear)."""
    import tempfile

    import yaml

    per = 1000
    n_depts = (steps + per - 1) // per if distinct else 1
    departments = {f"d{d}": {"headcount": 5, "services": {f"s{k}": {"time": {"dist": "deterministic", "value": 0.001}}
                                                          for k in range(min(per, steps - d * per) if distinct else 1)}}
                   for d in range(n_depts)}
    journey = [f"d{k // per}.s{k % per}" for k in range(steps)] if distinct else ["d0.s0"] * steps
    raw = {"horizon": 100, "departments": departments,
           "segments": {"c": {"arrivals": {"rate": 0.001}, "journey": journey, "expectation": 10}}}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as fh:
        fh.write(yaml.safe_dump(raw, default_flow_style=None, width=1_000_000))
        fh.flush()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "orgsim.cli", "validate", fh.name], capture_output=True)
        return time.perf_counter() - start


def _post(url: str, body: dict) -> dict:
    import json
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def app_times(edits: int = 7) -> tuple[float, float, float, list[float]]:
    """The what-if page on a cold numba cache, through its own HTTP endpoints, as the page asks.

    Returns (first useful screen: address printed, page and controls with who-serves-whom answered; first
    numbers: the reference engine's first look; compiled engine ready; update latencies of *edits* different
    what-ifs of `baseline`, 100 replications each, after warm-up).
    """
    import json
    import tempfile
    import urllib.request

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "orgsim.cli", "app", "baseline"], stdout=subprocess.PIPE, text=True, env=env)
        try:
            url = proc.stdout.readline().split()[2]
            urllib.request.urlopen(url, timeout=60).read()
            _post(url + "api/scenario", {"scenario": "baseline"})
            screen = time.perf_counter() - start
            _post(url + "api/whatif", {"scenario": "baseline", "replications": 100})
            numbers = time.perf_counter() - start
            while not json.loads(urllib.request.urlopen(url + "api/status", timeout=60).read())["engine"]["compiled"]:
                time.sleep(0.2)
            ready = time.perf_counter() - start
            _post(url + "api/whatif", {"scenario": "baseline", "replications": 100})  # the as-written side, once
            latencies = []
            for k in range(edits):
                body = {"scenario": "baseline", "replications": 100,
                        "edits": {"headcount": {"operations": 18, "it": 4}, "demand": {"consumers": 1 + 0.01 * k}}}
                t = time.perf_counter()
                answer = _post(url + "api/whatif", body)
                latencies.append(time.perf_counter() - t)
                assert answer["ok"] and answer["engine"] == "numba" and answer["replications"] == 100, answer
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return screen, numbers, ready, latencies


def planted_selection(k: int, delta: float, alpha: float, n0: int, macro: int, seed: int = 1) -> tuple[float, float, float]:
    """KN on a planted problem (best by delta, others tied, unit variances, CRN correlation 0.5), *macro* times:
    the share of correct selections, the mean replications KN used, the mean replications of the fixed allocation."""
    from orgsim.studies.kn import trials

    rng = np.random.default_rng(seed)
    mu = np.zeros(k)
    mu[-1] = delta

    def draw(n):
        return mu + np.sqrt(0.5) * rng.standard_normal((n, 1)) + np.sqrt(0.5) * rng.standard_normal((n, k))

    hits, used, fixed, _ = trials(draw, k, n0, alpha, delta, macro)
    return hits / macro, used / macro, fixed / macro


def selection_savings(quick: bool) -> None:
    """Print what `compare --select` saves against a fixed equal allocation giving the same guarantee."""
    print("\nselection with a guarantee: Kim-Nelson (KN) against a fixed equal allocation, same first stage, same guarantee")
    print("  planted problems (best by delta = 0.5, the others tied, unit variances, CRN correlation 0.5, n0 = 20)")
    for k, alpha in ((2, 0.05), (5, 0.05), (10, 0.05), (5, 0.1)):
        pcs, used, fixed = planted_selection(k, 0.5, alpha, 20, 200 if quick else 2000)
        print(f"    k {k:>2}, alpha {alpha:.2f}: P(correct selection) {pcs:.3f} (promised {1 - alpha:.2f}); "
              f"replications KN {used:,.0f}, fixed {fixed:,.0f} ({fixed / used:.1f}x)")
    names = ["fixed", "front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target"]
    policies = [orgsim.parse_policy(n) for n in names]
    base = orgsim.load("baseline")
    seeds = range(1, 3 if quick else 6)
    print(f"  baseline.yaml, {len(names)} allocation policies, external.nps, n0 = 20, numba engine, seeds {seeds[0]}-{seeds[-1]}")
    for delta in (1.0, 2.0):
        runs = [timed(lambda s=s, d=delta: orgsim.select(base, policies, delta=d, alpha=0.05, seed=s)) for s in seeds]
        sim = np.mean([sum(r.simulated.values()) for r, _ in runs])
        fixed = np.mean([r.fixed * len(names) for r, _ in runs])
        picks = sorted({r.selected for r, _ in runs})
        print(f"    delta {delta:g} NPS points, alpha 0.05: replications simulated {sim:,.0f}, fixed {fixed:,.0f} "
              f"({fixed / sim:.1f}x); selected {', '.join(picks)}; {np.mean([t for _, t in runs]):.1f} s per selection")


# baseline's hourly pattern for the speed of time-varying demand: multiples of the plain rate whose weekly average
# is 1 (weekdays 4 x 0.5 + ... = 25.5 a day, so the weekend carries 168 - 5 x 25.5 = 40.5 over 48 hours)
WEEK_SHAPE = {"mon-fri 00:00-08:00": 0.5, "mon-fri 08:00-12:00": 2.0, "mon-fri 12:00-18:00": 1.5,
              "mon-fri 18:00-24:00": 0.75, "sat-sun 00:00-24:00": 40.5 / 48}


def demand_speed(reps: int, rounds: int) -> tuple[float, float]:
    """Kernel milliseconds per `baseline` replication on one thread: as written, and with every segment's rate
    replaced by the same weekly average as a table of WEEK_SHAPE (A/B in one process, builds run alternately)."""
    plain = orgsim.load("baseline")
    sets = []
    for name, seg in plain.segments.items():
        key = "rate_per_customer" if hasattr(seg.arrivals, "population") else "rate"
        rate = getattr(seg.arrivals, key)
        table = ", ".join(f'"{w}": {rate * m!r}' for w, m in WEEK_SHAPE.items())
        sets.append(f"segments.{name}.arrivals.{key}={{{table}}}")
    return kernel_ab(plain, orgsim.load("baseline", sets), reps, rounds)


def profile_speed(reps: int, rounds: int) -> tuple[float, float]:
    """Kernel milliseconds per `baseline` replication on one thread: as written, and with `profile: true` and a
    service-level target on every segment (A/B in one process)."""
    plain = orgsim.load("baseline")
    sets = ["profile=true"] + [f"segments.{s}.service_level_target=1" for s in plain.segments]
    return kernel_ab(plain, orgsim.load("baseline", sets), reps, rounds)


def kernel_ab(plain, other, reps: int, rounds: int) -> tuple[float, float]:
    """Median kernel milliseconds per replication of two scenarios, 1 thread, run alternately in one process."""
    from orgsim.kernels.compile import compile_scenario
    from orgsim.kernels.loop import run_replications
    from orgsim.kernels.rng import states
    from orgsim.policies import effective_scenario
    from orgsim.studies.allocation import headcount

    times: dict[str, list[float]] = {"plain": [], "other": []}
    built = {}
    for label, sc in (("plain", plain), ("other", other)):
        sc = effective_scenario(sc)
        cs = compile_scenario(sc, headcount(sc))
        built[label] = (cs, states(1, np.arange(reps), cs.src_keys), np.zeros((reps, cs.row_len)),
                        np.zeros((reps, cs.n_periods, cs.per_len)))
        run_replications(*built[label][:1], *(a[:1] for a in built[label][1:]))  # compile outside the timing
    for _ in range(rounds):
        for label, (cs, st, rows, per) in built.items():
            start = time.perf_counter()
            run_replications(cs, st.copy(), rows, per)
            secs = time.perf_counter() - start
            times[label].append(1000 * secs / reps)
    return float(np.median(times["plain"])), float(np.median(times["other"]))


# shifts for the speed of staffing: three a day, overlapping half an hour at each hand-over, so every department
# has its written headcount on duty around the clock (twice that during hand-overs) and six schedule changes a day
SHIFTS = {"early": ["daily 06:00-14:30"], "late": ["daily 14:00-22:30"], "night": ["daily 22:00-24:00", "daily 00:00-06:30"]}


def _baseline_in_shifts(front_shifts: dict, front_heads: int) -> dict:
    """`baseline` as a mapping with weekly rate tables (WEEK_SHAPE) and every department in shifts: the front
    office (departments in a journey) in *front_shifts*, *front_heads* times its written headcount each, the back
    office in the three SHIFTS with its written headcount."""
    from orgsim.scenario.loader import read_mapping, resolve_path

    raw, _ = read_mapping(resolve_path("baseline"))
    front = {step if isinstance(step, str) else step["service"] for seg in raw["segments"].values()
             for step in seg["journey"]}
    front = {ref.split(".")[0] for ref in front}
    for seg in raw["segments"].values():
        arr = seg["arrivals"]
        key = "rate_per_customer" if "population" in arr else "rate"
        arr[key] = {w: arr[key] * m for w, m in WEEK_SHAPE.items()}
    raw["calendars"] = {**SHIFTS, **front_shifts, "office": ["mon-fri 09:00-17:00"]}
    raw["policy"].pop("budget", None)  # shifts need more people than the budget
    for name, dept in raw["departments"].items():
        heads = dept.pop("headcount")
        plan = (front_shifts, heads * front_heads) if name in front else (SHIFTS, heads)
        dept["shifts"] = [{"calendar": c, "headcount": plan[1]} for c in plan[0]]
    return raw


def staffing_speed(reps: int, rounds: int) -> tuple[float, float]:
    """Kernel milliseconds per `baseline` replication on one thread: as written, and with weekly rate tables
    (WEEK_SHAPE) and every department in the three SHIFTS (A/B in one process, builds run alternately, median)."""
    from orgsim.scenario.loader import validate_mapping

    return kernel_ab(orgsim.load("baseline"), validate_mapping(_baseline_in_shifts(SHIFTS, 1)), reps, rounds)


# two day shifts for the speed of the open clock: the front office is closed from 22:30 to 06:00, so orders placed at
# night queue for the opening, their patience on the open clock (kept whole overnight)
DAY_SHIFTS = {"day_early": ["daily 06:00-14:30"], "day_late": ["daily 14:00-22:30"]}


def open_clock_speed(reps: int, rounds: int) -> tuple[float, float]:
    """Kernel milliseconds per `baseline` replication on one thread: as written, and contact-centre style: weekly
    rate tables, the front office in two DAY_SHIFTS of twice its written headcount (closed at night), the back office
    in the three SHIFTS, every segment's patience on the open clock and every supplier on office hours (A/B in one
    process, builds run alternately, median)."""
    from orgsim.scenario.loader import validate_mapping

    raw = _baseline_in_shifts(DAY_SHIFTS, 2)
    for seg in raw["segments"].values():
        seg["patience_clock"] = "open"
    for sup in raw["suppliers"].values():
        sup["calendar"] = "office"
    return kernel_ab(orgsim.load("baseline"), validate_mapping(raw), reps, rounds)


def levers_speed(reps: int, rounds: int) -> tuple[float, float]:
    """Kernel milliseconds per `baseline` replication on one thread: as written, and with communication, shared
    feedback (setting the queue order below NPS 60), continuous improvement and complaint recovery (at support) at
    two heads' worth each on a budget of 48 (A/B in one process)."""
    sets = ["policy.budget=48", "policy.investments.feedback_priority=60", "policy.recovery={service: support.resolve}"]
    sets += [f"policy.investments.{k}=2" for k in ("communication", "feedback", "improvement", "recovery")]
    return kernel_ab(orgsim.load("baseline"), orgsim.load("baseline", sets), reps, rounds)


# the speed of each optional feature on baseline: --FLAG-only measures one; the full run measures all
FEATURE_SPEEDS = {
    "demand": (demand_speed, "constant rates", "weekly rate tables"),
    "profile": (profile_speed, "as written", "with profile and service-level targets"),
    "staffing": (staffing_speed, "as written", "weekly tables and three shifts"),
    "open_clock": (open_clock_speed, "as written", "front office closed at night, open-clock patience, supplier "
                   "on office hours"),
    "levers": (levers_speed, "as written", "communication, feedback, improvement and recovery on"),
}


def print_feature_speed(measure, plain_label: str, other_label: str, reps: int, rounds: int = 7) -> float:
    """Print one feature's A/B and return its speed as a share of baseline as written."""
    plain_ms, other_ms = measure(reps, rounds)
    print(f"baseline, numba kernel per replication (1 thread, median of {rounds}): {plain_label} {plain_ms:.2f} ms, "
          f"{other_label} {other_ms:.2f} ms: {plain_ms / other_ms:.0%} of the speed")
    return plain_ms / other_ms


DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EVENT_LOGS = {"loan": DATA / "LoanApp_simplified_train.csv.gz", "purchasing": DATA / "PurchasingExample.csv.gz"}


def eventlog_speed(replications: int = 20) -> None:
    """Time `orgsim fit` on the whole loan and purchasing logs and `orgsim score -r N` of each fit against its log
    (as a user runs them), then print, per shared log, the held-out check of tests/validation/test_score_fit.py with
    its numbers."""
    import tempfile

    from orgsim.eventlog import read_log, split_by_case
    from orgsim.eventlog.fitting import fit_log
    from orgsim.eventlog.measures import distances, noise_floor
    from orgsim.eventlog.writing import write_scenario
    from orgsim.studies.score import log_frame, score

    cli = str(Path(sys.executable).with_name("orgsim"))
    folder = Path(tempfile.mkdtemp(prefix="orgsim-bench-"))
    loan, purchasing = str(EVENT_LOGS["loan"]), str(EVENT_LOGS["purchasing"])
    for what, argv in (("fit on the loan log (7,544 events)", ["fit", loan, "--out", str(folder / "loan.yaml")]),
                       (f"score -r {replications} of it against the loan log", ["score", str(folder / "loan.yaml"), loan,
                                                                               "-r", str(replications)]),
                       ("fit on the purchasing log (9,119 events)", ["fit", purchasing, "--out", str(folder / "pur.yaml")]),
                       (f"score -r {replications} of it against the purchasing log",
                        ["score", str(folder / "pur.yaml"), purchasing, "-r", str(replications)])):
        began = time.perf_counter()
        subprocess.run([cli, *argv], check=True, capture_output=True)
        print(f"orgsim {what}: {time.perf_counter() - began:.1f} s (command line, start-up included)")
    for name, path in EVENT_LOGS.items():
        train, test = split_by_case(read_log(path), 0.5, seed=1)
        write_scenario(fit_log(train), folder / f"{name}-half.yaml")
        scenario = orgsim.load(folder / f"{name}-half.yaml")
        result = score(scenario, test, replications=replications, seed=0)
        one_split = distances(log_frame(train.frame, scenario), log_frame(test.frame, scenario))
        floor = noise_floor(log_frame(read_log(path).frame, scenario), seed=1)
        print(f"{name}: fitted on half the cases (seed 1), scored -r {replications} on the other half")
        for kpi, v in result.kpis.items():
            if not kpi.startswith("activity."):
                print(f"  {kpi:55s} log {v['log']:10.4g}  sim {v['sim']:10.4g}  [{v['ci_low']:.4g}, {v['ci_high']:.4g}]"
                      f"  {v['sim'] / v['log'] - 1:+.1%}" if v["log"] else f"  {kpi:55s} log 0  sim {v['sim']:.4g}")
        for d, value in result.distances.items():
            print(f"  {d:55s} {value:.4g} against a noise floor of {floor[d]:.4g} ({value / floor[d]:.2f}x; the larger "
                  f"of the median over 20 splits and this split's halves, {one_split[d]:.4g})")


def cpu_name() -> str:
    """The CPU's model name and family/model numbers (a guest may show only a vendor line: the numbers tell apart
    generations whose speeds differ by 2x), from /proc/cpuinfo where there is one."""
    try:
        info = dict(
            line.split(":", 1) for line in open("/proc/cpuinfo", encoding="utf-8").read().split("\n\n")[0].splitlines()
            if ":" in line
        )
        info = {k.strip(): v.strip() for k, v in info.items()}
        return f"{info.get('model name', '?')} (family {info.get('cpu family', '?')}, model {info.get('model', '?')})"
    except OSError:
        return platform.processor() or platform.machine()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--selection-only", action="store_true", help="only the selection measurement")
    ap.add_argument("--demand-only", action="store_true", help="only the speed of time-varying demand")
    ap.add_argument("--profile-only", action="store_true", help="only the speed with hour-of-week profiles on")
    ap.add_argument("--staffing-only", action="store_true", help="only the speed of shifts with time-varying demand")
    ap.add_argument("--open-clock-only", action="store_true",
                    help="only the speed with the front office closed at night and patience on the open clock")
    ap.add_argument("--eventlog-only", action="store_true",
                    help="only fit and score on the shared event logs: their times and the held-out checks")
    ap.add_argument("--levers-only", action="store_true", help="only the speed with the communication, feedback, "
                    "improvement and recovery investments on")
    args = ap.parse_args(argv)
    q = 10 if args.quick else 1
    if args.selection_only:
        selection_savings(args.quick)
        return 0
    if args.eventlog_only:
        eventlog_speed(5 if args.quick else 20)
        return 0
    for flag, (measure, plain_label, other_label) in FEATURE_SPEEDS.items():
        if getattr(args, f"{flag}_only"):
            print_feature_speed(measure, plain_label, other_label, 200 // q)
            return 0

    import numba

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numba {numba.__version__}, {platform.platform()}")
    rows = []

    # M/M/c: call_centre with patience off
    mmc = orgsim.load("call_centre", ["segments.callers.patience=null"])
    seg = next(iter(mmc.segments.values()))
    dept = next(iter(mmc.departments.values()))
    svc = next(iter(dept.services.values()))
    horizon = 20_000.0 / q
    n, secs = timed(lambda: bare_simpy_mmc(seg.arrivals.rate, svc.time.mean, dept.headcount, horizon))
    bare = n / secs
    bare_numba_mmc(seg.arrivals.rate, svc.time.mean, dept.headcount, 1.0)  # compile outside the timing
    n, secs = timed(lambda: bare_numba_mmc(seg.arrivals.rate, svc.time.mean, dept.headcount, 1_000_000.0 / q))
    bare_nb = n / secs
    ref, _ = orgsim_rate(mmc.model_copy(update={"horizon": horizon, "warmup": 0.0}), "simpy", 1)
    orgsim.run(mmc, engine="numba", replications=1, seed=0)  # compile outside the timing
    nb1 = numba_threads_rate("call_centre", ["segments.callers.patience=null", f"horizon={200_000.0 / q}", "warmup=0"], 8, 1)
    rows.append(("M/M/c (call_centre, no patience)", "bare SimPy", bare, 1.0))
    rows.append(("", "orgsim simpy", ref, ref / bare))
    rows.append(("", "orgsim numba, 1 thread", nb1, nb1 / ref))
    rows.append(("", "bare numba (minimal loop)", bare_nb, bare_nb / ref))

    # Jackson
    jk = orgsim.load("jackson")
    jk_h = jk.model_copy(update={"horizon": 10_000.0 / q, "warmup": 0.0})
    ref_j, _ = orgsim_rate(jk_h, "simpy", 1)
    n, secs = timed(lambda: ciw_jackson(jk, 10_000.0 / q))
    ciw_rate = n / secs
    nbj = numba_threads_rate("jackson", [f"horizon={100_000.0 / q}", "warmup=0"], 8, 1)
    rows.append(("jackson.yaml", "orgsim simpy", ref_j, 1.0))
    rows.append(("", "Ciw", ciw_rate, ciw_rate / ref_j))
    rows.append(("", "orgsim numba, 1 thread", nbj, nbj / ref_j))

    # baseline
    base = orgsim.load("baseline")
    ref_b, _ = orgsim_rate(base, "simpy", max(1, 4 // q))
    nb_b1 = numba_threads_rate("baseline", [], 200 // q, 1)
    nb_b2 = numba_threads_rate("baseline", [], 200 // q, 2)
    ref_b2 = simpy_processes_rate(base, max(2, 8 // q), 2)
    rows.append(("baseline.yaml", "orgsim simpy", ref_b, 1.0))
    rows.append(("", "orgsim simpy, 2 processes", ref_b2, ref_b2 / ref_b))
    rows.append(("", "orgsim numba, 1 thread", nb_b1, nb_b1 / ref_b))
    rows.append(("", "orgsim numba, 2 threads", nb_b2, nb_b2 / nb_b1))
    rows.append(("", "numba 2 threads / simpy 2 processes", nb_b2, nb_b2 / ref_b2))

    print()
    print(f"{'scenario':<34}{'engine':<36}{'customers/s':>14}{'ratio':>10}")
    for scen, eng, rate, ratio in rows:
        print(f"{scen:<34}{eng:<36}{rate:>14,.0f}{ratio:>10.2f}")
    print("ratio: against the first line of each block, except '2 threads' (against 1 thread) and the last line")

    cold, warm = compile_times()
    print(f"\nnumba compile: cold {cold:.1f} s, cached start {warm:.2f} s (beyond `import orgsim`)")

    print("\nvalidation time by journey length (one segment; a service per step, or one service every step)")
    for steps in ([1000, 10_000] if args.quick else [1000, 10_000, 100_000]):
        for distinct in (True, False):
            if distinct and steps > 10_000:
                continue  # 100,000 distinct services do not fit the 5 MiB file limit
            secs = validation_seconds(steps, distinct)
            print(f"  {steps:>7} {'distinct' if distinct else 'identical'} steps: {secs:6.2f} s")

    screen, numbers, ready, latencies = app_times()
    update = float(np.median(latencies))
    print(f"\nwhat-if page (orgsim app baseline, cold numba cache): first useful screen {screen:.2f} s, first numbers "
          f"(reference engine's first look) {numbers:.2f} s, compiled engine ready {ready:.1f} s; update of a what-if "
          f"(100 replications, through /api/whatif) median {update:.2f} s, range {min(latencies):.2f}-{max(latencies):.2f} s")

    year_reps = None
    if not args.skip_scaling:
        print("\nnumba scaling with replications (baseline.yaml, all cores)")
        for reps in ([10, 100, 1000] if args.quick else [10, 100, 1000, 10_000, 100_000]):
            result, secs = timed(lambda reps=reps: orgsim.run(base, engine="numba", replications=reps, seed=1))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {reps:>7} replications: {secs:8.2f} s, {completed_orders(result) / secs:>12,.0f} customers/s, "
                  f"peak RSS {peak:,.0f} MiB")
            if reps == 10_000:
                year_reps = secs

    selection_savings(args.quick)

    print()
    share = {flag: print_feature_speed(*spec, 200 // q) for flag, spec in FEATURE_SPEEDS.items()}

    print("\ntargets (issue 'The numba engine'), measured above:")
    checks = [
        ("M/M/c customers/s per core >= 5,000,000", nb1, nb1 >= 5e6),
        ("jackson customers/s per core >= 1,500,000", nbj, nbj >= 1.5e6),
        ("baseline numba/simpy per core >= 100", nb_b1 / ref_b, nb_b1 / ref_b >= 100),
        ("baseline 2 threads / 1 thread >= 1.8", nb_b2 / nb_b1, nb_b2 / nb_b1 >= 1.8),
        ("time-varying baseline speed / constant >= 0.8", share["demand"], share["demand"] >= 0.8),
        ("baseline in shifts, weekly tables: speed / as written >= 0.8", share["staffing"], share["staffing"] >= 0.8),
        ("baseline closed at night, open clock: speed / as written >= 0.8", share["open_clock"],
         share["open_clock"] >= 0.8),
        ("baseline with the four newer levers: speed / as written >= 0.7", share["levers"], share["levers"] >= 0.7),
        ("cold compile < 20 s", cold, cold < 20),
        ("cached start < 2 s", warm, warm < 2),
        ("app: first useful screen < 5 s (cold cache)", screen, screen < 5),
        ("app: what-if update, 100 baseline reps < 1 s", update, update < 1),
    ]
    if year_reps is not None:
        checks.append(("10,000 baseline years on all cores < 60 s", year_reps, year_reps < 60))
    for text, value, ok in checks:
        print(f"  {'met ' if ok else 'MISS'}  {text:<46} measured {value:,.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
