"""Slice serializers: how a slice's list of records is stored in its document.

* ``none``: the records as a BSON array; readable in any MongoDB tool, largest on disk.
* ``compress`` (the default): the records encoded as one BSON document and zlib-deflated at
  level 1. BSON encoding and zlib are C code, so this is the cheapest way to store a list of
  records compactly; level 1 keeps workers CPU-bound on ``perform``, not on compression.
* ``encrypt``: ``compress`` then AES-GCM with the ``encryption_key`` setting and a random
  96-bit nonce per slice (stored in front of the ciphertext). GCM authenticates the data, so
  a tampered or truncated slice fails loudly instead of yielding garbage records.
* ``bz2``: the BSON bytes in one bz2 stream per slice: smaller, much slower; for archives.
* ``encrypted_bz2``: ``bz2`` then AES-GCM.

A serializer turns ``records`` (a list) into the value of the document's ``records`` field
and back; the rest of the slice document is plain BSON and readable by every tool.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import os
import zlib
from typing import Any

import bson

from rocketjob.exceptions import ConfigurationError

NONCE_BYTES = 12
_KEY_SIZES = (16, 24, 32)


class Serializer:
    """Stores records as a BSON array (the ``none`` serializer)."""

    name = "none"

    def dump(self, records: list[Any]) -> Any:
        return records

    def load(self, stored: Any) -> list[Any]:
        return list(stored)


class CompressSerializer(Serializer):
    """zlib (level 1) of the BSON-encoded records."""

    name = "compress"

    def dump(self, records: list[Any]) -> Any:
        return bson.Binary(zlib.compress(bson.encode({"r": records}), 1))

    def load(self, stored: Any) -> list[Any]:
        return list(bson.decode(zlib.decompress(stored))["r"])


class Bz2Serializer(Serializer):
    """One bz2 stream of the BSON-encoded records per slice."""

    name = "bz2"

    def dump(self, records: list[Any]) -> Any:
        return bson.Binary(bz2.compress(bson.encode({"r": records})))

    def load(self, stored: Any) -> list[Any]:
        return list(bson.decode(bz2.decompress(stored))["r"])


class EncryptSerializer(Serializer):
    """AES-GCM over another serializer's bytes, with a random nonce per slice."""

    name = "encrypt"

    def __init__(self, inner: Serializer | None = None, key: str | None = None) -> None:
        self.inner = inner or CompressSerializer()
        if inner is not None and isinstance(inner, Bz2Serializer):
            self.name = "encrypted_bz2"
        self._key = key

    def _cipher(self) -> Any:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(decode_key(self._key if self._key is not None else _settings_key()))

    def dump(self, records: list[Any]) -> Any:
        nonce = os.urandom(NONCE_BYTES)
        plain = bytes(self.inner.dump(records))
        return bson.Binary(nonce + self._cipher().encrypt(nonce, plain, None))

    def load(self, stored: Any) -> list[Any]:
        from cryptography.exceptions import InvalidTag

        data = bytes(stored)
        try:
            plain = self._cipher().decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise ValueError(
                "cannot decrypt slice: wrong encryption_key or the data was altered"
            ) from exc
        return self.inner.load(plain)


def _settings_key() -> str:
    from rocketjob.conf import get_settings

    return get_settings().encryption_key


def decode_key(key: str) -> bytes:
    """The AES key from its urlsafe-base64 text; a clear error when it is missing or bad."""
    if not key:
        raise ConfigurationError(
            "the encrypt serializer needs ROCKETJOB['encryption_key'] (or "
            "ROCKETJOB_ENCRYPTION_KEY): urlsafe base64 of 16, 24 or 32 random bytes, e.g. "
            'python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
        )
    try:
        padded = key.strip().encode() + b"=" * (-len(key.strip()) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"encryption_key is not valid base64: {exc}") from exc
    if len(raw) not in _KEY_SIZES:
        raise ConfigurationError(
            f"encryption_key decodes to {len(raw)} bytes; AES needs 16, 24 or 32"
        )
    return raw


SERIALIZER_NAMES = ("none", "compress", "encrypt", "bz2", "encrypted_bz2")


def get_serializer(name: str) -> Serializer:
    """The serializer called ``name`` (one of :data:`SERIALIZER_NAMES`)."""
    if name == "none":
        return Serializer()
    if name == "compress":
        return CompressSerializer()
    if name == "bz2":
        return Bz2Serializer()
    if name == "encrypt":
        return EncryptSerializer()
    if name == "encrypted_bz2":
        return EncryptSerializer(Bz2Serializer())
    raise ValueError(f"unknown serializer {name!r}; expected one of {SERIALIZER_NAMES}")
