"""The optimiser over shifts: on a planted two-shift desk whose early shift is clearly short, it moves the heads
there, the plan it finds beats the written one surely, and the cost ceiling still bounds what it spends."""

from __future__ import annotations

import numpy as np

from orgsim.scenario.loader import validate_mapping
from orgsim.studies.compare import PolicySpec, compare
from orgsim.studies.optimise import optimise
from orgsim.studies.simulate import Variant, simulate
from orgsim.studies.slots import Slots


def desk(early: int, late: int, **top) -> dict:
    """Calls at 30 an hour in the early shift's hours (3 erlangs) and 5 in the late one's (0.5 erlang)."""
    raw = {
        "time_unit": "hour", "horizon": 360, "warmup": 24, "period": 48,
        "calendars": {"early": ["mon-fri 06:00-14:00"], "late": ["mon-fri 14:00-22:00"]},
        "departments": {"desk": {
            "shifts": [{"calendar": "early", "headcount": early}, {"calendar": "late", "headcount": late}],
            "services": {"answer": {"time": {"dist": "exponential", "mean": 0.1}}}}},
        "segments": {"callers": {
            "arrivals": {"rate": {"mon-fri 06:00-14:00": 30.0, "mon-fri 14:00-22:00": 5.0}},
            "patience": {"dist": "exponential", "mean": 0.1},
            "journey": ["desk.answer"], "expectation": 0.2}},
        "morale": {"enabled": False},
    }
    raw.update(top)
    return raw


def test_the_optimiser_moves_heads_to_the_short_shift_and_beats_the_written_split():
    written = validate_mapping(desk(2, 5))  # 3 erlangs on 2 early heads: most morning callers hang up
    best = optimise(written, objective="external.abandon_rate", replications=10, final_replications=20, seed=3,
                    engine="numba")
    assert sum(best.shifts["desk"].values()) == 7 and best.allocation == {"desk": 7}
    assert best.shifts["desk"]["early"] >= 5 and best.shifts["desk"]["late"] >= 1  # 2 late hold 0.5 erlang
    # the winner runs its shifts: the same plan as writing them, replication for replication
    (as_written,) = simulate([Variant("w", validate_mapping(desk(best.shifts["desk"]["early"],
                                                                   best.shifts["desk"]["late"])), {"desk": 7})],
                             "numba", 20, 4)
    (found,) = simulate([Variant("o", best.scenario, best.allocation)], "numba", 20, 4)
    assert np.array_equal(as_written.values["external.abandon_rate"], found.values["external.abandon_rate"])
    comp = compare(written, [PolicySpec("fixed", {"allocation": "fixed"}), PolicySpec("optimised", {"allocation": "optimised"})],
                   metric="external.abandon_rate", replications=20, seed=5, engine="numba")
    assert comp.stats["ranking"][0] == "optimised"
    assert comp.stats["differences"]["fixed"]["ci_low"] > 0.05  # the written split abandons surely, and by far
    assert comp.cost("optimised")["shifts"] == {"desk": best.shifts["desk"]}
    out = best.to_json()  # what reruns it: the heads per shift, and the scenario with them written in
    assert out["shifts"] == best.shifts and out["allocation"] == {"desk": 7}
    assert [s["headcount"] for s in out["scenario_definition"]["departments"]["desk"]["shifts"]] == \
        [best.shifts["desk"]["early"], best.shifts["desk"]["late"]]


def test_the_path_moves_heads_between_shifts_and_keeps_the_desk_stable():
    written = validate_mapping(desk(2, 5))
    best = optimise(written, objective="external.abandon_rate", replications=5, final_replications=5, seed=1,
                    engine="numba")
    frame = best.path_frame()
    assert list(frame.columns) == ["step", "external.abandon_rate", "desk.early", "desk.late"]
    slots = Slots(written, 1)
    # start: the least stable plan: 1,400 calls of 0.1 h a week are 0.833 erlang on average, and a head is on duty
    # 40 h of 168 (0.238): 4 heads (0.952); both shifts are as long, so the earlier one gets them
    assert slots.start() == {"desk.early": 4, "desk.late": 0}
    assert frame.iloc[0][["desk.early", "desk.late"]].tolist() == [4, 0]
    assert all(slots.stable({"desk.early": e, "desk.late": la}, "desk")
               for e, la in frame[["desk.early", "desk.late"]].itertuples(index=False))


def test_the_cost_ceiling_bounds_a_shift_plan():
    written = validate_mapping(desk(2, 5, costs={"labour": 10}))
    free = optimise(written, objective="external.abandon_rate", replications=5, final_replications=10, seed=2,
                    engine="numba")
    # each head on duty 40 h of the 168 h week costs about 10 x 40 x 336 / 168 = 800 after warm-up; allow about 4
    ceiling = 3_400.0
    capped = optimise(written, objective="external.abandon_rate", replications=5, final_replications=10, seed=2,
                      engine="numba", cost_ceiling=ceiling)
    assert sum(capped.allocation.values()) < sum(free.allocation.values()) == 7
    assert capped.path[-1]["step"].startswith("stop: cost ceiling") or capped.path[-1]["step"].startswith("move")
    assert float(np.mean(capped.final.values["firm.cost"])) <= ceiling * 1.05
