"""The studies layer: run, compare, optimise and sweep, all on one orchestration path (``simulate``)."""
