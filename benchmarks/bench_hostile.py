"""Hostile text at ingest (issue 20): normalization of runs that decompose into marks, and
`newsbot ingest` of a `.txt` holding 100,000 U+0F73 (not a mark, but NFKC splits it in two).

Prints normalize's time on n U+0F73 for growing n (linear: ~10x per 10x), then the wall time of
`newsbot ingest` on the issue's reproducer (a 300 KB file) into a fresh SQLite file, best of three.
Run: .venv/bin/python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from retrieval.analysis.normalize import normalize

STORY = "اجتمع وزير الزراعة مع المزارعين في مدينة الأقصر لمناقشة محصول القمح هذا العام."


def best_ms(text: str, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        normalize(text)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    print("normalize(U+0F73 × n)")
    for n in (2_000, 16_000, 100_000, 1_000_000):
        print(f"  n={n:>9,}  {best_ms(chr(0x0F73) * n):8.2f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "news"
        folder.mkdir()
        (folder / "tibetan.txt").write_text(f"{STORY}\n{chr(0x0F73) * 100_000}\nوقال الوزير إن المحصول وفير.\n", "utf-8")
        size = (folder / "tibetan.txt").stat().st_size
        runs = []
        for i in range(3):
            env = {**os.environ, "NEWSBOT_DATABASE": str(Path(tmp) / f"db{i}.sqlite3")}
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "bot", "ingest", str(folder)], env=env,
                                  capture_output=True, text=True, check=True)
            runs.append(time.perf_counter() - started)
        print(f"newsbot ingest of a {size:,}-byte .txt with 100,000 U+0F73: {min(runs):.2f} s"
              f" (best of 3; {done.stdout.strip()})")


if __name__ == "__main__":
    main()
