"""Slice serializers: every one round-trips records; encryption is authenticated."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import bson
import pytest

from rocketjob.exceptions import ConfigurationError
from rocketjob.sliced.serializers import (
    SERIALIZER_NAMES,
    EncryptSerializer,
    get_serializer,
)

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
RECORDS = [
    "plain line",
    {"name": "Zoë", "amount": 12, "nested": {"list": [1, 2.5, None]}},
    ["a", "b"],
    7,
    None,
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
]


@pytest.fixture(autouse=True)
def encryption_key(settings: object) -> None:
    settings.ROCKETJOB = {**settings.ROCKETJOB, "encryption_key": KEY}  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", SERIALIZER_NAMES)
def test_round_trip(name: str) -> None:
    serializer = get_serializer(name)
    stored = serializer.dump(RECORDS)
    bson.encode({"records": stored})  # storable in a document
    loaded = serializer.load(stored)
    assert loaded[:5] == RECORDS[:5]
    assert loaded[5].replace(tzinfo=UTC) == RECORDS[5]


def test_compress_is_smaller_for_repetitive_records() -> None:
    records = [{"column": "the same value", "n": i} for i in range(1000)]
    plain = len(bson.encode({"r": get_serializer("none").dump(records)}))
    assert len(get_serializer("compress").dump(records)) < plain / 5
    assert len(get_serializer("bz2").dump(records)) < plain / 5


def test_encrypt_uses_a_random_nonce_per_slice() -> None:
    serializer = get_serializer("encrypt")
    first, second = serializer.dump(["same"]), serializer.dump(["same"])
    assert first != second
    assert b"same" not in bytes(first)


def test_encrypt_detects_tampering_and_wrong_keys() -> None:
    stored = bytearray(get_serializer("encrypt").dump(["secret"]))
    stored[-1] ^= 1
    with pytest.raises(ValueError, match="cannot decrypt slice"):
        get_serializer("encrypt").load(bytes(stored))
    other = EncryptSerializer(key=base64.urlsafe_b64encode(os.urandom(32)).decode())
    with pytest.raises(ValueError, match="wrong encryption_key"):
        other.load(get_serializer("encrypt").dump(["secret"]))


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "needs ROCKETJOB"),
        ("%%%", "not valid base64"),
        (base64.urlsafe_b64encode(b"short").decode(), "decodes to 5 bytes"),
    ],
)
def test_bad_keys_are_configuration_errors(key: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        EncryptSerializer(key=key).dump(["x"])


def test_unknown_serializer() -> None:
    with pytest.raises(ValueError, match="unknown serializer 'zip'"):
        get_serializer("zip")
