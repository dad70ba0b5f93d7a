"""Canonical event JSON, its compact JWS, the chain hash, and verification against trusted keys.

Wire contract (DESIGN.md "Wire details"): payload = RFC 8785 canonical JSON of the event,
protected header exactly {"alg": "EdDSA", "kid": <RFC 7638 thumbprint>}, and
prev_hash = "sha256:" + hex(sha256(previous compact JWS as ASCII)).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from copy import deepcopy
from functools import cache
from importlib import resources
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from jsonschema import Draft202012Validator

from edge.errors import EtleError
from edge.ledger.keys import ALG, REGISTRY, KeyRing, Signer

GENESIS_HASH = "sha256:" + "0" * 64
SCHEMA_FILES = {
    "etle.violation/1": "etle.violation-1.schema.json",  # events signed before issue 16: still verified
    "etle.violation/2": "etle.violation-2.schema.json",
    "etle.gap/1": "etle.gap-1.schema.json",
    "etle.tombstone/1": "etle.tombstone-1.schema.json",
}


class JwsError(EtleError):
    """A JWS is not trustworthy. `check` names the failed check, as the verify report prints it."""

    check = "jws"


class MalformedJwsError(JwsError):
    """Not three base64url parts with a JSON header: not a compact JWS at all (truncated, corrupted)."""


class BadHeaderError(JwsError):
    check = "header"


class UnknownKidError(JwsError):
    check = "kid"


class BadSignatureError(JwsError):
    check = "signature"


class BadPayloadError(JwsError):
    check = "payload"


class KidMismatchError(JwsError):
    """The payload names another key than the one that signed it."""

    check = "kid"


def canonical(event: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of the event: the exact bytes that are signed and that a receiver re-derives."""
    try:
        return rfc8785.dumps(event)
    except rfc8785.CanonicalizationError as exc:
        raise BadPayloadError(f"event cannot be canonicalised (RFC 8785): {exc}") from exc


def with_link(event: Mapping[str, Any], seq: int, prev_hash: str, kid: str) -> dict[str, Any]:
    """A copy of the event with its place in the chain: device.seq, device.kid and prev_hash."""
    linked = deepcopy(dict(event))
    linked["device"] = {**linked.get("device", {}), "seq": seq, "kid": kid}
    linked["prev_hash"] = prev_hash
    return linked


def sign_event(event: Mapping[str, Any], signer: Signer) -> str:
    return signer.sign(canonical(event))


def event_hash(compact_jws: str) -> str:
    return "sha256:" + hashlib.sha256(compact_jws.encode("ascii")).hexdigest()


def unverified_payload(compact_jws: str) -> dict[str, Any]:
    """The payload without checking the signature: only for naming things in reports and for our
    own just-written records. Raises MalformedJwsError."""
    try:
        obj = jws.extract_compact(compact_jws.encode("ascii"), registry=REGISTRY)
        payload = json.loads(obj.payload)
    except (JoseError, ValueError) as exc:
        raise MalformedJwsError(f"not a compact JWS with a JSON payload: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedJwsError("the JWS payload is not a JSON object")
    return payload


def verify_jws(compact_jws: str, keys: KeyRing) -> dict[str, Any]:
    """The event a JWS carries, once its header, key, signature and canonical form all check out."""
    try:
        obj = jws.extract_compact(compact_jws.encode("ascii"), registry=REGISTRY)
    except (JoseError, ValueError) as exc:  # ValueError covers binascii, JSON and non-ASCII errors
        raise MalformedJwsError(f"not a compact JWS: {exc}") from exc
    header = obj.protected
    if set(header) != {"alg", "kid"} or header.get("alg") != ALG or not isinstance(header.get("kid"), str):
        raise BadHeaderError(f'protected header must be exactly {{"alg": "{ALG}", "kid": ...}}, got {header}')
    kid = header["kid"]
    key = keys.get(kid)
    if key is None:
        raise UnknownKidError(
            f"no trusted public key with kid {kid}; add the device's public.jwk.json to the keys folder "
            f"(trusted: {', '.join(keys) or 'none'})"
        )
    try:
        valid = jws.validate_compact(obj, key, registry=REGISTRY)
    except JoseError as exc:
        raise BadSignatureError(f"signature check failed: {exc}") from exc
    if not valid:
        raise BadSignatureError(f"signature does not match the header and payload for key {kid}")
    try:
        payload = json.loads(obj.payload)
    except ValueError as exc:
        raise BadPayloadError(f"signed payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadPayloadError("signed payload is not a JSON object")
    # A signed but non-canonical payload would hash differently in receivers that re-canonicalise.
    if canonical(payload) != obj.payload:
        raise BadPayloadError("signed payload is not RFC 8785 canonical JSON (or has duplicate keys)")
    device = payload.get("device")
    if isinstance(device, dict) and "kid" in device and device["kid"] != kid:
        raise KidMismatchError(f"payload device.kid {device['kid']!r} differs from the signing key {kid}")
    return payload


@cache
def load_schema(schema_id: str) -> dict[str, Any]:
    """The JSON Schema of a document kind ("etle.violation/1", "etle.gap/1"), shipped with the package."""
    name = SCHEMA_FILES.get(schema_id)
    if name is None:
        raise KeyError(f"unknown schema {schema_id!r}; known: {', '.join(SCHEMA_FILES)}")
    text = resources.files("edge.ledger").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(schema_id: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(schema_id), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Why a document breaks its JSON Schema (chosen by its `schema` member); empty when it is valid."""
    try:
        validator = _validator(str(document.get("schema")))
    except KeyError as exc:
        return [str(exc.args[0])]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
