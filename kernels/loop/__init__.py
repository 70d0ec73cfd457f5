"""The jitted event loop: replications of a compiled scenario, each filling one accumulator row.

Entities live in preallocated pools with free lists (``pool``; fields named
in ``columns``); events sit in a binary heap ordered by (time, sequence
number), so equal times are handled first-scheduled first (``heap``), with
two kinds kept in timers beside it (``events``).  Each event kind has its
handler (``handlers``; an order's end is counted in ``outcome``), which may
start a cascade of actions (``cascade``); period boundaries, the warm-up's
end and the horizon are ``boundary`` (vacancies: ``departments``);
``driver`` runs the replications.

The hot parts are inlined by numba where the loop calls them
(``columns.HOT``), so the loop compiles and runs as one function; the
replication's scalars are the driver's locals, passed to each part and
returned by it.  The cold parts (boundaries, hires, schedule changes) are
ordinary calls.  Time is the scenario's time unit throughout.  Rules:
README "Model".
"""

from .driver import run_replication, run_replications

__all__ = ["run_replication", "run_replications"]
