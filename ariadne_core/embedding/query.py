"""What a search needs of the vectors: a question's vector (kept by text), and how to
hand it to pgvector."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from ariadne_core.embedding.providers import EmbeddingProvider, Vectors

EF_SEARCH = 100  # candidates the HNSW walk keeps; more is slower and finds more


class QueryVectors:
    """Question vectors by text: a repeated question costs no model run."""

    def __init__(self, provider: EmbeddingProvider, size: int = 2048) -> None:
        self.provider, self.size = provider, size
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def vector(self, text: str) -> Vectors:
        key = " ".join(text.lower().split())
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        vector = self.provider.embed([key])[0]
        with self._lock:
            self._kept[key] = vector
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return vector


def vector_literal(vector: Vectors) -> str:
    """pgvector's text form; sent as a parameter and cast, on any connection."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"


def hnsw_settings(limit: int) -> tuple[str, dict[str, Any]]:
    """The statement that sets how wide the HNSW walk looks, for this connection."""
    return (
        "SELECT set_config('hnsw.ef_search', %(ef)s, false), "
        "set_config('hnsw.iterative_scan', 'relaxed_order', false)",
        {"ef": str(max(EF_SEARCH, limit))},
    )
