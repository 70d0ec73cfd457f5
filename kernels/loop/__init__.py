"""The jitted event loop: replications of a compiled scenario, each filling one accumulator row.

Entities live in preallocated pools with free lists (``pool``; columns in
``columns``); events sit in a binary heap ordered by (time, key), so equal
times are handled first-scheduled first (``heap``), with two kinds kept in
timers beside it (``events``).  Each event kind has its handler
(``handlers``), which starts a cascade of actions (``cascade``); period
boundaries move morale, staff, suppliers and populations (``boundary``,
``departments``); ``driver`` runs the replications.  The mutable scalars of
a replication are named fields of one counters record (``state``).

Every event kind and action is a function inlined where the loop calls it
(``state.INLINE``): the loop compiles to one function, as fast as if it were
written out, and its arrays are passed as views that numba does not
reference-count (``state.borrow``).

Time is the scenario's time unit throughout.  Rules: README "Model".
"""

from .driver import run_replications

__all__ = ["run_replications"]
