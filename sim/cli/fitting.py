"""`orgsim fit`: read an event log, learn a scenario from it, write it (and a report) where asked."""

from __future__ import annotations

import time
from pathlib import Path

from orgsim.errors import OptionError
from orgsim.execution.atomic import check_writable_file, write_text


def cmd_fit(args) -> int:
    from orgsim.eventlog import read_log
    from orgsim.eventlog.fitting import fit_log
    from orgsim.eventlog.writing import write_scenario

    for option in ("out", "report"):
        target = getattr(args, option)
        problem = target is not None and check_writable_file(target)
        if problem:
            raise OptionError(option, problem)
    began = time.perf_counter()
    log = read_log(args.log, case=args.case, activity=args.activity, resource=args.resource, role=args.role,
                   start=args.start, end=args.end, enabled=args.enabled)
    model = fit_log(log, name=args.name)
    write_scenario(model, args.out)
    if args.report:
        from orgsim.present.fit_report import fit_page

        write_text(args.report, fit_page(model, Path(args.out).name))
    sc = model.scenario
    print(f"{args.out}: {len(sc['departments'])} departments, {sum(len(d['services']) for d in sc['departments'].values())} "
          f"services, {len(sc['segments'])} segment(s) from {model.events:,} events of {model.cases:,} cases "
          f"({time.perf_counter() - began:.1f} s)")
    if log.derived_start:
        print(f"{args.log}: one time per event, read as its end; each start is the previous end in its case")
    return 0
