"""The checks that refuse bad internal service agreements (the pairs they cover: ``Scenario.agreement_pairs``).

An entry names a supplier department and a target, and either one customer department or none: then it covers
every department that sends the supplier requests, except pairs another entry names.
"""

from __future__ import annotations

from orgsim.scenario.checks import Problem, _mapping, listing, suggest


def _customers(departments: dict) -> dict[str, list[str]]:
    """For each department, the departments (file order) whose services name one of its services as a need."""
    out: dict[str, list[str]] = {d: [] for d in departments}
    for dname, dept in departments.items():
        for svc in _mapping(_mapping(dept).get("services")).values():
            needs = _mapping(svc).get("needs")
            for need in needs if isinstance(needs, list) else []:
                ref = _mapping(need).get("service")
                target = ref.split(".")[0] if isinstance(ref, str) and ref.count(".") == 1 else None
                if target in out and dname not in out[target]:
                    out[target].append(dname)
    return out


def problems(raw: dict) -> list[Problem]:
    """Agreements naming unknown departments, an external supplier, a pair without requests, or a pair twice."""
    entries = raw.get("agreements")
    if not isinstance(entries, list):
        return []
    departments = _mapping(raw.get("departments"))
    suppliers = _mapping(raw.get("suppliers"))
    customers = _customers(departments)
    out: list[Problem] = []
    seen: dict[tuple, int] = {}
    for k, entry in enumerate(entries):
        entry = _mapping(entry)
        sup, cust = entry.get("supplier"), entry.get("customer")
        bad = False
        for field, name in (("supplier", sup), ("customer", cust)):
            if isinstance(name, str) and name not in departments:
                bad = True
                what = (f"`{name}` is an external supplier; agreements are between departments" if name in suppliers
                        else f"unknown department `{name}`{suggest(name, departments)}")
                out.append((("agreements", k, field), what))
        if bad or not isinstance(sup, str) or (cust is not None and not isinstance(cust, str)):
            continue
        key = (cust, sup)
        if key in seen:
            who = f"`{cust}` to `{sup}`" if cust is not None else f"every customer of `{sup}`"
            out.append((("agreements", k), f"a second agreement for {who} (entry {seen[key]} is the first); "
                                           "keep one"))
            continue
        seen[key] = k
        if cust is not None and cust not in customers[sup]:
            out.append((("agreements", k, "customer"), f"`{cust}` sends `{sup}` no requests (no need of a `{cust}` "
                                                       f"service names a `{sup}` service); `{sup}`'s customers: "
                                                       f"{listing(customers[sup])}"))
        elif cust is None and not customers[sup]:
            out.append((("agreements", k, "supplier"), f"no department sends `{sup}` requests (no need names a "
                                                       f"`{sup}` service): the agreement would cover nothing"))
    return out

