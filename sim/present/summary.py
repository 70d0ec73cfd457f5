"""A plain-text portrait of a scenario: who serves whom, and how loaded each department is."""

from __future__ import annotations

from orgsim.errors import one_line
from orgsim.scenario.checks import peak_warnings
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import arrival_rate, solve


def internal_suppliers(scenario: Scenario) -> dict[str, list[str]]:
    """For each department, the departments and external suppliers it is an internal customer of."""
    out: dict[str, list[str]] = {d: [] for d in scenario.departments}
    for d, dept in scenario.departments.items():
        for svc in dept.services.values():
            for need in svc.needs:
                target = need.service.split(".")[0] if need.service else need.supplier
                if target not in out[d]:
                    out[d].append(target)
    return out


def describe(scenario: Scenario, source: str = "") -> str:
    """Departments, who is whose internal supplier, and offered load per department."""
    traffic = solve(scenario)
    heads = {d: dept.headcount for d, dept in scenario.departments.items()}
    capacity = {d: scenario.capacity(d) for d in scenario.departments}  # on a calendar: the week's average on duty
    util = traffic.utilisation(capacity)
    captive = traffic.utilisation(capacity, captive=True)
    front = set(scenario.front_office())
    unit = scenario.time_unit
    lines = [one_line(f"{scenario.name}" + (f"  ({source})" if source else ""))]
    lines.append(
        f"  horizon {scenario.horizon:g} {unit}s, warm-up {scenario.warmup:g}, period {scenario.period:g}; "
        f"policy {scenario.policy.allocation}/{scenario.policy.priority}; morale {'on' if scenario.morale.enabled else 'off'}"
    )
    if scenario.units is not None:  # the load below is the scenario as written: each unit draws its own
        lines.append(one_line(f"  {scenario.units.count} units, each drawing {', '.join(scenario.units.vary)}; "
                              "the loads below are as written"))
    agreed = scenario.agreement_pairs()
    if agreed:  # escalation reorders queues; the loads below do not see it
        lines.append(one_line("  agreements: " + ", ".join(f"{c} -> {d} within {t:g} {unit}s" for c, d, t in agreed)))
    for s, seg in scenario.segments.items():
        kind = "population" if hasattr(seg.arrivals, "population") else "open stream"
        kind += ", time-varying (long-run average)" if seg.arrivals.varies else ""
        lines.append(
            f"  segment {s}: {kind}, {arrival_rate(seg, scenario):.3g} orders/{unit}, expects {seg.expectation:g} {unit}s, "
            f"journey {' -> '.join(step.service for step in seg.journey)}"
        )
    lines.append(f"  {'department':<14}{'role':<13}{'heads':>6}{'load':>8}{'util':>7}  internal supplier of / customer of")
    suppliers = internal_suppliers(scenario)
    customers = {d: [c for c, sup in suppliers.items() if d in sup] for d in scenario.departments}
    for d in scenario.departments:
        role = "front office" if d in front else "back office"
        flag = "  <- bottleneck" if util[d] == max(util.values()) and util[d] > 0.8 else ""
        if util[d] >= 1:  # only orders with patience keep it stable: they abandon; allow_unstable lets the rest in
            flag = "  <- overloaded: orders abandon" if captive[d] < 1 else "  <- unstable: its queue grows without end"
        rel = f"serves {', '.join(customers[d]) or '-'}; needs {', '.join(suppliers[d]) or '-'}"
        lines.append(f"  {d:<14}{role:<13}{heads[d]:>6}{traffic.load[d]:>8.2f}{util[d]:>7.2f}  {rel}{flag}")
        if scenario.departments[d].rostered:
            lines.append(f"  {'':<14}{'':<13}{'':>6}  on duty {capacity[d]:.3g} on average over the week (util: of that)")
    for sup, rate in traffic.supplier_rates.items():
        paid = scenario.suppliers[sup].paid_by or "nobody"
        lines.append(f"  supplier {sup}: {rate:.3g} deliveries/{unit}, invoices paid by {paid}")
    for path, message in peak_warnings(scenario):
        lines.append(one_line(f"  warning: {'.'.join(map(str, path))}: {message}"))
    return "\n".join(lines)
