"""Secret files under ARIADNE_HOME (`jwt-secret`, `encryption-keys`, `admin-credentials`,
`postgres/superuser-password`): created with mode 0600 from the first byte, and
exclusively.

The content is written to a private temporary file, then linked to its name with
`os.link`, which fails when the name exists. Two processes starting at once therefore
both read the one file that won, never two different keys, and nobody ever reads a
half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ariadne_core.errors import ConfigurationError


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's text; when it does not exist, create it with ``make()`` exclusively."""
    path = Path(path)
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _unusable(path, exc) from None
    try:
        tmp = _private_copy(path, make())
        try:
            with contextlib.suppress(FileExistsError):  # another process won: use its file
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        return path.read_text()
    except OSError as exc:
        raise _unusable(path, exc) from None


def replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, mode 0600 from the start."""
    path = Path(path)
    tmp = _private_copy(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _private_copy(path: Path, text: str) -> str:
    """``text`` in a new file beside ``path``, mode 0600 (mkstemp) and on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _unusable(path: Path, exc: OSError) -> ConfigurationError:
    return ConfigurationError(
        f"Cannot keep the secret file {path} ({exc.strerror or exc}). "
        "Point ARIADNE_HOME at a writable directory, or set the secret in the environment."
    )
