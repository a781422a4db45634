"""AES-256-GCM sealing of connection configs, with a key id stored beside each ciphertext.

Keys are ``ARIADNE_ENCRYPTION_KEYS`` (``kid:base64key,...``); the first one seals, all of
them open, so keys can rotate. Unset: one key is generated and kept in ARIADNE_HOME.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ariadne_core.config import Settings
from ariadne_core.errors import ConfigurationError
from ariadne_core.security.secret_files import read_or_create

NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    key_id: str
    ciphertext: bytes  # nonce + AES-GCM ciphertext and tag


class Keyring:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ConfigurationError(f"Encryption key '{active}' is not among the configured keys.")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ConfigurationError(
                    f"Encryption key '{kid}' must be 32 bytes (AES-256), base64-encoded; "
                    f"it has {len(key)}. Fix ARIADNE_ENCRYPTION_KEYS."
                )
        self._keys = keys
        self.active = active

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kid, sep, b64 = item.partition(":")
            if not sep or not kid:
                raise ConfigurationError(
                    "ARIADNE_ENCRYPTION_KEYS must look like 'kid1:BASE64KEY,kid2:BASE64KEY'."
                )
            try:
                keys[kid] = base64.b64decode(b64, validate=True)
            except ValueError:
                raise ConfigurationError(
                    f"Encryption key '{kid}' in ARIADNE_ENCRYPTION_KEYS is not valid base64."
                ) from None
            order.append(kid)
        if not order:
            raise ConfigurationError("ARIADNE_ENCRYPTION_KEYS is empty.")
        return cls(keys, order[0])

    def seal(self, value: dict[str, Any]) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        aad = self.active.encode()
        return Sealed(
            self.active, nonce + AESGCM(self._keys[self.active]).encrypt(nonce, data, aad)
        )

    def open(self, sealed: Sealed) -> dict[str, Any]:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise ConfigurationError(
                f"The connection config was sealed with key '{sealed.key_id}', which is not in "
                "ARIADNE_ENCRYPTION_KEYS. Add that key back (after the active one)."
            )
        nonce, body = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            plain = AESGCM(key).decrypt(nonce, body, sealed.key_id.encode())
        except InvalidTag:
            raise ConfigurationError(
                f"The connection config could not be decrypted with key '{sealed.key_id}'."
            ) from None
        return dict(json.loads(plain))


def keyring_from_home(home: Path) -> Keyring:
    """The generated local key, created on first use under ARIADNE_HOME."""

    def make() -> str:
        kid = "local-" + secrets.token_hex(4)
        return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}\n"

    return Keyring.parse(read_or_create(Path(home) / "encryption-keys", make).strip())


def keyring_for(settings: Settings) -> Keyring:
    if settings.encryption_keys:
        return Keyring.parse(settings.encryption_keys)
    return keyring_from_home(settings.home)
