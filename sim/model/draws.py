"""All randomness of a run, drawn up front from its seed by a counter-based generator.

A run's random numbers are a pure function of ``(seed, stream, month, slot)``: the SplitMix64
finaliser (Steele, Lea & Flood 2014) applied to a counter, as in counter-based generators
(Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"). So

* the same seed gives the same draws, on one process or many, alone or in a batch of a million;
* two scenarios run with the same seed face the same crisis draws (common random numbers);
* the batch engine draws for thousands of runs in a few vectorised numpy operations.

No global random state is touched anywhere.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

UInt64Array = npt.NDArray[np.uint64]

#: Streams: one per kind of random event, so adding a stream never shifts another.
CRISIS: Final = 0
CLASH: Final = 1
COERCION: Final = 2
VOICE: Final = 3

_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_MAX_SLOTS: Final = 1 << 8
_MAX_MONTHS: Final = 1 << 16


def _splitmix(z: UInt64Array) -> UInt64Array:
    """SplitMix64's output function: a bijective avalanche mix of 64-bit words (in place: the
    arrays are large and fresh temporaries cost more than the arithmetic)."""
    shifted = np.right_shift(z, np.uint64(30))
    np.bitwise_xor(z, shifted, out=z)
    np.multiply(z, _MIX1, out=z)
    np.right_shift(z, np.uint64(27), out=shifted)
    np.bitwise_xor(z, shifted, out=z)
    np.multiply(z, _MIX2, out=z)
    np.right_shift(z, np.uint64(31), out=shifted)
    np.bitwise_xor(z, shifted, out=z)
    return z


def run_keys(seeds: npt.ArrayLike) -> UInt64Array:
    """Turn run seeds (non-negative integers below 2**64) into well-mixed 64-bit keys."""
    seeds_array = np.asarray(seeds, dtype=np.uint64)
    return _splitmix(np.atleast_1d(seeds_array) + _GOLDEN)


def month_uniforms(
    keys: UInt64Array, stream: int, month: int, slots: int
) -> npt.NDArray[np.float64]:
    """The draws of one month of one stream, shape ``(runs, slots)``: equal to
    ``uniforms(keys, stream, months, slots)[:, month]`` for any ``months > month``, computed
    without the other months (a month's draws fit in the processor's cache)."""
    if not 0 < slots <= _MAX_SLOTS or not 0 <= month < _MAX_MONTHS:
        raise ValueError(f"draws for month {month} x {slots} slots exceed the counter space")
    counter = (np.uint64(stream) * np.uint64(_MAX_MONTHS) + np.uint64(month)) * np.uint64(
        _MAX_SLOTS
    ) + np.arange(slots, dtype=np.uint64)
    words = _splitmix(keys[:, np.newaxis] + (counter + np.uint64(1)) * _GOLDEN)
    draws: npt.NDArray[np.float64] = np.multiply(words >> np.uint64(11), 2.0**-53, dtype=np.float64)
    return draws


def uniforms(keys: UInt64Array, stream: int, months: int, slots: int) -> npt.NDArray[np.float64]:
    """Uniform draws in [0, 1) of shape ``(runs, months, slots)`` for one stream.

    Draw ``(r, m, s)`` depends only on run ``r``'s key and the counter ``(stream, m, s)``.
    """
    if not 0 < slots <= _MAX_SLOTS or not 0 <= months < _MAX_MONTHS:
        raise ValueError(f"draws for {months} months x {slots} slots exceed the counter space")
    month_index = np.arange(months, dtype=np.uint64)[:, np.newaxis]
    slot_index = np.arange(slots, dtype=np.uint64)[np.newaxis, :]
    counter = (np.uint64(stream) * np.uint64(_MAX_MONTHS) + month_index) * np.uint64(
        _MAX_SLOTS
    ) + slot_index
    words = _splitmix(keys[:, np.newaxis, np.newaxis] + (counter + np.uint64(1)) * _GOLDEN)
    draws: npt.NDArray[np.float64] = np.multiply(words >> np.uint64(11), 2.0**-53, dtype=np.float64)
    return draws


def derive_seeds(master_seed: int, count: int) -> list[int]:
    """Per-replicate seeds derived up front from one master seed with ``SeedSequence.spawn``.

    Replicate ``r`` gets the same seed whatever the number of workers or the order runs finish.
    """
    if master_seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {master_seed}")
    children = np.random.SeedSequence(master_seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]
