"""AES-256-GCM keyring: round trip, key rotation, tamper detection, bad keys."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from ariadne_core.errors import ConfigurationError
from ariadne_core.security.secrets import Keyring, Sealed, keyring_from_home


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_round_trip_and_rotation() -> None:
    old_key, new_key = _key(), _key()
    old = Keyring.parse(f"k1:{old_key}")
    sealed = old.seal({"password": "hunter2-long"})
    assert sealed.key_id == "k1"
    assert b"hunter2" not in sealed.ciphertext
    rotated = Keyring.parse(f"k2:{new_key},k1:{old_key}")
    assert rotated.open(sealed) == {"password": "hunter2-long"}  # old ciphertext still opens
    assert rotated.seal({"a": 1}).key_id == "k2"  # new writes use the first key
    with pytest.raises(ConfigurationError, match="not in ARIADNE_ENCRYPTION_KEYS"):
        Keyring.parse(f"k2:{new_key}").open(sealed)


def test_tampered_ciphertext_is_refused() -> None:
    ring = Keyring.parse(f"k1:{_key()}")
    sealed = ring.seal({"x": "y"})
    flipped = bytearray(sealed.ciphertext)
    flipped[-1] ^= 1
    with pytest.raises(ConfigurationError, match="could not be decrypted"):
        ring.open(Sealed("k1", bytes(flipped)))


@pytest.mark.parametrize(
    "spec,message",
    [
        ("nokey", "must look like"),
        ("k1:!!!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "must be 32 bytes"),
    ],
)
def test_bad_key_settings_are_explained(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Keyring.parse(spec)


def test_generated_local_key_is_kept(tmp_path: Path) -> None:
    first = keyring_from_home(tmp_path)
    sealed = first.seal({"token": "t"})
    assert keyring_from_home(tmp_path).open(sealed) == {"token": "t"}
    assert (tmp_path / "encryption-keys").stat().st_mode & 0o777 == 0o600
