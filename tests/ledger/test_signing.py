"""Canonical JSON, the JWS wire format, and rejection of every one-bit change to a signed event."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import OKPKey

from edge.ledger.chain import GapRecord, Link
from edge.ledger.keys import REGISTRY, FileSigner, KeyRing
from edge.ledger.signing import (
    GENESIS_HASH,
    BadHeaderError,
    BadPayloadError,
    BadSignatureError,
    JwsError,
    KidMismatchError,
    MalformedJwsError,
    UnknownKidError,
    canonical,
    event_hash,
    schema_errors,
    sign_event,
    verify_jws,
    with_link,
)
from tests.builders import T0, Device, context, jpeg, unsigned_event


def _b64json(part: str) -> object:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def signed(tmp_path: Path) -> tuple[Device, str, dict[str, object]]:
    device = Device.create(tmp_path)
    names = ("overview_before.jpg", "overview_at.jpg", "overview_after.jpg", "vehicle.jpg", "overview_at_annotated.jpg")
    media = {name: jpeg(i) for i, name in enumerate(names)}  # the five pictures the builder writes today
    event = with_link(unsigned_event(context(tmp_path), 1, media), 1, GENESIS_HASH, device.signer.kid)
    return device, sign_event(event, device.signer), event


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, b"{}"),
        ({"b": 1, "a": [1.0, 1e21, -0.0]}, b'{"a":[1,1e+21,0],"b":1}'),
        ({"z": "\u20ac", "é": None, "a": {"d": True, "c": 0.5}}, '{"a":{"c":0.5,"d":true},"z":"€","é":null}'.encode()),
    ],
)
def test_canonical_is_rfc8785(value: dict[str, object], expected: bytes) -> None:
    assert canonical(value) == expected


def test_canonical_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(BadPayloadError):
        canonical({"x": float("nan")})


def test_jws_wire_format(tmp_path: Path) -> None:
    device, token, event = signed(tmp_path)
    header, payload, signature = token.split(".")
    assert _b64json(header) == {"alg": "EdDSA", "kid": device.signer.kid}
    assert base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) == canonical(event)
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64
    assert verify_jws(token, device.keys) == event
    assert event_hash(token).startswith("sha256:") and len(event_hash(token)) == 71
    assert GENESIS_HASH == "sha256:" + "0" * 64
    assert schema_errors(event) == []


def test_gap_document_matches_its_schema() -> None:
    gap = GapRecord("7d9f1c1e-0d7e-4a43-9c1e-4c1f5d1e2a3b", "dev", "boot", "k" * 43, Link(5, GENESIS_HASH),
                    (3, 4), "disk full", T0)
    assert schema_errors(gap.document()) == []
    assert schema_errors({**gap.document(), "missing": {"first": 3}}) != []


def test_every_one_bit_flip_of_a_signed_event_is_rejected(tmp_path: Path) -> None:
    device, token, _ = signed(tmp_path)
    raw = token.encode("ascii")
    start = time.perf_counter()
    accepted = []
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            try:
                verify_jws(flipped.decode("latin-1"), device.keys)
            except JwsError:
                continue
            accepted.append((index, bit))
    elapsed = time.perf_counter() - start
    assert accepted == []
    print(f"\n{8 * len(raw)} one-bit flips of a {len(raw)}-byte JWS rejected in {elapsed:.1f} s")


def test_wrong_key_is_a_bad_signature_and_a_stranger_is_an_unknown_kid(tmp_path: Path) -> None:
    device, _, event = signed(tmp_path)
    stranger = OKPKey.import_key(Ed25519PrivateKey.generate())
    impostor = FileSigner(key=stranger, kid=device.signer.kid)  # claims the device's kid
    with pytest.raises(BadSignatureError):
        verify_jws(sign_event(event, impostor), device.keys)
    with pytest.raises(UnknownKidError, match="no trusted public key"):
        verify_jws(sign_event(event, FileSigner(key=stranger, kid=stranger.thumbprint())), device.keys)
    with pytest.raises(UnknownKidError):
        verify_jws(sign_event(event, device.signer), KeyRing({}))


def test_headers_other_than_alg_and_kid_are_refused(tmp_path: Path) -> None:
    device, _, event = signed(tmp_path)
    key = device.signer.key
    for header in ({"alg": "EdDSA"}, {"alg": "EdDSA", "kid": device.signer.kid, "typ": "JWT"}):
        token = jws.serialize_compact(header, canonical(event), key, registry=REGISTRY)
        with pytest.raises(BadHeaderError):
            verify_jws(token, device.keys)
    with pytest.raises(MalformedJwsError):
        verify_jws("not.a.jws", device.keys)
    with pytest.raises(MalformedJwsError):
        verify_jws("", device.keys)


def test_signed_but_not_canonical_or_kid_swapped_payloads_are_refused(tmp_path: Path) -> None:
    device, _, event = signed(tmp_path)
    pretty = json.dumps(event, indent=1).encode()
    with pytest.raises(BadPayloadError, match="canonical"):
        verify_jws(device.signer.sign(pretty), device.keys)
    with pytest.raises(BadPayloadError, match="canonical"):
        verify_jws(device.signer.sign(b'{"a":1,"a":2}'), device.keys)
    swapped = with_link(event, 1, GENESIS_HASH, "x" * 43)
    with pytest.raises(KidMismatchError):
        verify_jws(sign_event(swapped, device.signer), device.keys)


def test_sign_and_verify_time_per_event(tmp_path: Path) -> None:
    device, _, event = signed(tmp_path)
    rounds = 200
    start = time.perf_counter()
    tokens = [sign_event(event, device.signer) for _ in range(rounds)]
    signing = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for token in tokens:
        verify_jws(token, device.keys)
    verifying = (time.perf_counter() - start) / rounds
    print(f"\nsign {1000 * signing:.3f} ms, verify {1000 * verifying:.3f} ms per event ({len(tokens[0])} B JWS)")
    assert signing < 0.05 and verifying < 0.05  # generous: a box signs a few events a minute
