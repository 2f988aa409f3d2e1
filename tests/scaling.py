"""How a text step's cost grows with its input, measured without a flaky wall-clock bound.

A step is run on an input of n characters and on one ten times longer, both built the same way,
taking the least CPU time of a few runs with the garbage collector off. Linear work grows about
tenfold and quadratic work a hundredfold; the bound sits between them (35×), far from both, so a
loaded machine slows both runs alike and does not flip the verdict.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

GROWTH = 10
MAX_RATIO = 35.0
# Below this, a run is too short to measure; the small input's cost counts as at least this much.
FLOOR_SECONDS = 0.005


def cpu_seconds(step: Callable[[str], object], text: str, repeats: int = 3) -> float:
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            started = time.process_time()
            step(text)
            best = min(best, time.process_time() - started)
    finally:
        if enabled:
            gc.enable()
    return best


def growth(step: Callable[[str], object], make: Callable[[int], str], n: int) -> float:
    """How many times more the step costs on make(10·n) than on make(n)."""
    small = cpu_seconds(step, make(n))
    large = cpu_seconds(step, make(GROWTH * n), repeats=2)
    return large / max(small, FLOOR_SECONDS)


def assert_linear(step: Callable[[str], object], make: Callable[[int], str], n: int) -> None:
    ratio = growth(step, make, n)
    assert ratio < MAX_RATIO, f"cost grew {ratio:.0f}× for {GROWTH}× the input: not linear"
