"""What a search needs of the vectors: a question's vector as pgvector's text form, kept
by question, so a repeated question costs neither a model run nor the formatting.

How many lists of the vector index a search reads is a setting of every connection
(ARIADNE_IVFFLAT_PROBES), not a statement of each search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import anyio
import numpy as np

from ariadne_core.embedding.providers import EmbeddingProvider, Vectors


class QueryVectors:
    """Question vectors by text (pgvector literals): a repeated question costs no model
    run, and a kept one is answered without leaving the event loop."""

    def __init__(self, provider: EmbeddingProvider, size: int = 2048) -> None:
        self.provider, self.size = provider, size
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        return " ".join(text.lower().split())

    def _kept_literal(self, key: str) -> str | None:
        with self._lock:
            literal = self._kept.get(key)
            if literal is not None:
                self._kept.move_to_end(key)
            return literal

    def literal(self, text: str) -> str:
        """The question's vector in pgvector's text form (blocking: the model runs on a
        question not kept)."""
        key = self._key(text)
        literal = self._kept_literal(key)
        if literal is not None:
            return literal
        literal = vector_literal(self.provider.embed([key])[0])
        with self._lock:
            self._kept[key] = literal
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return literal

    async def literal_async(self, text: str) -> str:
        """`literal` for the event loop: a kept question is answered in place, a new one
        in a worker thread (the model runs on the CPU, outside the GIL)."""
        literal = self._kept_literal(self._key(text))
        if literal is not None:
            return literal
        return await anyio.to_thread.run_sync(self.literal, text)


def vector_literal(vector: Vectors) -> str:
    """pgvector's text form; sent as a parameter and cast, on any connection."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"
