"""The execution layer: batches of replications, the backends that run them, checkpoints, atomic writes, progress."""
