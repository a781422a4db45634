"""Write the API's OpenAPI document to a file, without a database: the explorer's
TypeScript types are generated from it (`make frontend`)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(target: str) -> None:
    from ariadne_api.main import create_app
    from ariadne_core.config import Settings

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            home=Path(home),
            database_url="postgresql://openapi@127.0.0.1:9/none",  # never connected to
            jwt_secret="only-for-writing-the-openapi-document-" + "x" * 16,
            demo=False,
        )
        spec = create_app(settings).openapi()
    Path(target).write_text(json.dumps(spec, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
