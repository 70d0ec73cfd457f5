"""The numba engine: the scenario compiled to flat arrays and run by a jitted event loop.

Modules here import only numpy and numba.  ``model`` holds the formulas
both engines share; ``layout`` the per-replication accumulator layout both
engines fill; ``streams`` how random streams are seeded.
"""
