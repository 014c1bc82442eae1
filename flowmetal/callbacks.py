"""Callback URLs: unguessable, signed tokens that name one awaited callback of one task.

A token is `<payload>.<signature>`, both URL-safe base64 without padding:

    payload   = b64(task_id + "\\n" + callback_id)
    signature = b64(HMAC-SHA256(secret, payload)[:18])

Whoever mints URLs (the interpreter, through the VM's Host) and whoever
receives deliveries (the HTTP server connector, the local runner) share
the secret. Callback ids are request ids, deterministic per task; the
signature is what makes the URL unguessable. A forged or altered token
fails `verify_token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_SIGNATURE_BYTES = 18


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest()[:_SIGNATURE_BYTES])


def make_token(secret: str, task_id: str, callback_id: str) -> str:
    payload = _b64(f"{task_id}\n{callback_id}".encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(secret: str, token: str) -> tuple[str, str] | None:
    """Return (task_id, callback_id) for a token signed with `secret`, else None."""
    payload, sep, signature = token.partition(".")
    if not sep or not hmac.compare_digest(_sign(secret, payload), signature):
        return None
    try:
        task_id, newline, callback_id = _unb64(payload).decode("utf-8").partition("\n")
    except (ValueError, UnicodeDecodeError):
        return None
    return (task_id, callback_id) if newline else None


def callback_url(base_url: str, secret: str, task_id: str, callback_id: str) -> str:
    """The URL a program hands out: `<base_url>/cb/<token>`."""
    return f"{base_url.rstrip('/')}/cb/{make_token(secret, task_id, callback_id)}"
