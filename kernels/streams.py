"""Random streams: one per replication and per named random source.

The seed of a stream depends only on (seed, replication, source name), never
on thread count, batch split, backend, or which other sources exist; so a
policy change does not shift the demand stream (common random numbers).
"""

import zlib

import numpy as np


def source_key(name: str) -> int:
    """A stable 32-bit key for a source name such as ``arrivals/consumers``."""
    return zlib.crc32(name.encode("utf-8"))


def seed_sequence(seed: int, replication: int, source: str) -> np.random.SeedSequence:
    """The SeedSequence of one source in one replication."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication), source_key(source)))


def generator(seed: int, replication: int, source: str) -> np.random.Generator:
    """A NumPy generator for one source in one replication (the reference engine's streams)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, replication, source)))


def state_words(seed: int, replication: int, source: str, words: int = 4) -> np.ndarray:
    """Seed words (uint64) for a compiled generator of one source in one replication."""
    return seed_sequence(seed, replication, source).generate_state(words, np.uint64)
