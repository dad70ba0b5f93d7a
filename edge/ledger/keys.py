"""Device keys: Ed25519 pairs on disk, the signer port, and the public keys a verifier trusts.

The key id is the RFC 7638 thumbprint of the public JWK, so it is derived, never declared:
a JWK file whose `kid` member disagrees with its thumbprint is refused rather than trusted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey

from edge.errors import EtleError
from edge.ledger.config import PRIVATE_KEY_FILE
from edge.ledger.store import fsync_dir

ALG = "EdDSA"
PUBLIC_JWK_FILE = "public.jwk.json"


class KeyFileError(EtleError):
    """A key file is missing, unreadable or not an Ed25519 key. The box records but does not sign."""


class KeyExistsError(KeyFileError):
    """keygen would overwrite a key: events already signed with it would lose their only signer."""


class _EdDSARegistry(jws.JWSRegistry):
    """Allows exactly "EdDSA", without joserfc's per-call SecurityWarning.

    RFC 9864 deprecates "EdDSA" in favour of "Ed25519", and joserfc warns on every use. Our
    wire contract (DESIGN.md, v1) fixes "EdDSA"; the signature bytes are identical, and a warning
    per event would bury real ones. Moving to "Ed25519" is a contract change, not a library one.
    """

    def get_alg(self, name: str) -> JWSAlgModel:
        if name != ALG:
            raise UnsupportedAlgorithmError(f"algorithm {name!r} is not allowed, only {ALG!r}")
        return self.algorithms[name]


REGISTRY = _EdDSARegistry()


class Signer(Protocol):
    """Port: whatever holds the private key (a PEM file today, a TPM or secure element later)."""

    @property
    def kid(self) -> str: ...

    def sign(self, payload: bytes) -> str:
        """The compact JWS of payload, protected header exactly {"alg": "EdDSA", "kid": kid}."""
        ...


@dataclass(frozen=True, slots=True)
class FileSigner:
    """Signs with an Ed25519 private key loaded from a PEM file."""

    key: OKPKey = field(repr=False)
    kid: str

    def sign(self, payload: bytes) -> str:
        return jws.serialize_compact({"alg": ALG, "kid": self.kid}, payload, self.key, registry=REGISTRY)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kid: str
    private_key_path: Path
    public_jwk_path: Path


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Public keys a verifier trusts, by kid. Several keys: old events stay verifiable after rotation."""

    keys: Mapping[str, OKPKey]

    @classmethod
    def of(cls, *keys: OKPKey) -> KeyRing:
        return cls({key.thumbprint(): key for key in keys})

    def get(self, kid: str) -> OKPKey | None:
        return self.keys.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.keys))


def public_jwk(key: OKPKey) -> dict[str, Any]:
    """The public half as a JWK, with the members a JWKS consumer expects next to the thumbprint."""
    members: dict[str, Any] = key.as_dict(private=False)
    members.update({"kid": key.thumbprint(), "alg": ALG, "use": "sig"})
    return members


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL makes "refuse to overwrite" race-free; the mode is set at creation, never widened.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_keys(out_dir: Path) -> KeyInfo:
    """Create device.key.pem (mode 0600) and public.jwk.json in out_dir; never overwrite either."""
    private_path, public_path = out_dir / PRIVATE_KEY_FILE, out_dir / PUBLIC_JWK_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise KeyExistsError(
                f"{path} already exists: a device key is never overwritten, because events signed with it "
                "would lose their signer. Choose another --out folder for a new key (rotation) and keep the old "
                "public key for verification."
            )
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = OKPKey.import_key(private)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _create_exclusive(private_path, pem, 0o600)
        _create_exclusive(public_path, (json.dumps(public_jwk(key), indent=2) + "\n").encode("ascii"), 0o644)
        fsync_dir(out_dir)
    except FileExistsError as exc:
        raise KeyExistsError(f"{exc.filename} appeared while generating keys; nothing was overwritten") from exc
    except OSError as exc:
        raise KeyFileError(
            f"cannot write keys into {out_dir}: {exc.strerror}; check the folder and its permissions"
        ) from exc
    return KeyInfo(kid=key.thumbprint(), private_key_path=private_path, public_jwk_path=public_path)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(
            f"{what} {path} does not exist: create one with `etle-edge keygen --out DIR` and point the device "
            "settings at it"
        ) from exc
    except OSError as exc:
        raise KeyFileError(f"cannot read {what} {path}: {exc.strerror}; check its owner and permissions") from exc


def load_signer(private_key_path: Path) -> FileSigner:
    """The signer for a PEM private key written by generate_keys."""
    data = _read(private_key_path, "private key")
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            f"{private_key_path} is not an unencrypted PEM private key ({exc}); use the device.key.pem that "
            "`etle-edge keygen` wrote"
        ) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(
            f"{private_key_path} holds a {type(private).__name__}, not an Ed25519 key; events are signed with "
            "EdDSA only: generate one with `etle-edge keygen`"
        )
    key = OKPKey.import_key(private)
    return FileSigner(key=key, kid=key.thumbprint())


def _jwk(members: Any, origin: str) -> OKPKey:
    if not isinstance(members, dict) or members.get("kty") != "OKP" or members.get("crv") != "Ed25519":
        raise KeyFileError(f"{origin} is not an Ed25519 public JWK (kty OKP, crv Ed25519)")
    if "d" in members:
        raise KeyFileError(f"{origin} holds a private key; give verifiers the public JWK only")
    try:
        key = OKPKey.import_key(members)
    except (JoseError, ValueError) as exc:
        raise KeyFileError(f"{origin} is not a usable JWK: {exc}") from exc
    if "kid" in members and members["kid"] != key.thumbprint():
        raise KeyFileError(
            f"{origin} declares kid {members['kid']!r} but its RFC 7638 thumbprint is {key.thumbprint()!r}; "
            "the file was edited or belongs to another key"
        )
    return key


def _keys_in_file(path: Path) -> list[OKPKey]:
    data = _read(path, "public key")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyFileError(
                f"{path} is not a PEM public key ({exc}); pass the public key, not the private one"
            ) from exc
        if not isinstance(public, Ed25519PublicKey):
            raise KeyFileError(f"{path} holds a {type(public).__name__}, not an Ed25519 public key")
        return [OKPKey.import_key(public)]
    try:
        members = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError(f"{path} is neither a PEM public key nor JSON: {exc}") from exc
    if isinstance(members, dict) and isinstance(members.get("keys"), list):  # a JWK Set
        return [_jwk(m, f"{path} keys[{i}]") for i, m in enumerate(members["keys"])]
    return [_jwk(members, str(path))]


def load_public_keys(path: Path) -> KeyRing:
    """Trusted keys from a JWK, a JWK Set, a PEM public key, or a folder of them (*.jwk.json,
    *.jwks.json, *.pem).

    In a folder, private-key PEMs and other JSON (the chain state) are skipped, so the folder
    keygen wrote can be passed as is.
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and (p.name.endswith((".jwk.json", ".jwks.json")) or p.suffix == ".pem"))
        files = [p for p in files if b"PRIVATE KEY" not in _read(p, "key file")[:64]]
    else:
        files = [path]
    keys = [key for file in files for key in _keys_in_file(file)]
    if not keys:
        raise KeyFileError(f"no public keys in {path}: pass a public.jwk.json, a PEM public key or a folder of them")
    return KeyRing.of(*keys)
