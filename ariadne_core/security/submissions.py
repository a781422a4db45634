"""Signed references to job rows, for runs the API submits to Dagster.

The API creates an import job (with the real user and role) and submits the Dagster run
with the job id and a signature of it. The run acts on the job only when the signature
checks, so a run started by hand from the Dagster launchpad cannot borrow another
user's job (or role) by naming its id. The signature is an HMAC under the token-signing
secret with a purpose prefix: it proves who created the reference, and is no secret.
"""

from __future__ import annotations

import hashlib
import hmac

from ariadne_core.config import Settings
from ariadne_core.security.tokens import signing_secret


def sign(settings: Settings, purpose: str, reference: str) -> str:
    message = f"ariadne-submission:{purpose}:{reference}".encode()
    return hmac.new(signing_secret(settings).encode(), message, hashlib.sha256).hexdigest()


def verify(settings: Settings, purpose: str, reference: str, signature: str) -> bool:
    return hmac.compare_digest(sign(settings, purpose, reference), signature or "")
