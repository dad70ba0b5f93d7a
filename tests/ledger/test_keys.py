"""Device keys on disk: keygen, loading errors that say what to do, public keys and rotation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwk

from edge.errors import EtleError
from edge.ledger.config import PRIVATE_KEY_FILE
from edge.ledger.keys import PUBLIC_JWK_FILE, KeyExistsError, KeyFileError, generate_keys, load_public_keys, load_signer
from edge.ledger.signing import GENESIS_HASH, sign_event, verify_jws


def test_keygen_writes_a_private_pem_0600_and_a_public_jwk(tmp_path: Path) -> None:
    info = generate_keys(tmp_path / "keys")
    assert (info.private_key_path.name, info.public_jwk_path.name) == (PRIVATE_KEY_FILE, PUBLIC_JWK_FILE)
    assert stat.S_IMODE(info.private_key_path.stat().st_mode) == 0o600
    members = json.loads(info.public_jwk_path.read_text())
    assert "d" not in members and members["kty"] == "OKP" and members["crv"] == "Ed25519"
    # RFC 7638: the thumbprint covers only crv, kty and x, so extra members do not change the kid.
    assert info.kid == members["kid"] == jwk.thumbprint({k: members[k] for k in ("crv", "kty", "x")})
    assert load_signer(info.private_key_path).kid == info.kid


def test_keygen_never_overwrites(tmp_path: Path) -> None:
    info = generate_keys(tmp_path)
    before = info.private_key_path.read_bytes()
    with pytest.raises(KeyExistsError, match="never overwritten"):
        generate_keys(tmp_path)
    assert info.private_key_path.read_bytes() == before
    info.private_key_path.unlink()  # a lone public key still blocks: it belongs to the old private key
    with pytest.raises(KeyExistsError):
        generate_keys(tmp_path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "absent.pem", "etle-edge keygen"),
        (lambda d: _write(d / "garbage.pem", b"hello"), "not an unencrypted PEM private key"),
        (lambda d: _write(d / "ec.pem", ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
         "not an Ed25519 key"),
        (lambda d: _write(d / "locked.pem", Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"))), "not an unencrypted PEM private key"),
    ],
    ids=["missing", "garbage", "wrong-type", "encrypted"],
)
def test_load_signer_errors_say_what_to_do(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(KeyFileError, match=message) as caught:
        load_signer(path)
    assert isinstance(caught.value, EtleError)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_key_names_permissions(tmp_path: Path) -> None:
    info = generate_keys(tmp_path)
    info.private_key_path.chmod(0)
    with pytest.raises(KeyFileError, match="permissions"):
        load_signer(info.private_key_path)


def test_public_keys_from_jwk_pem_jwks_and_folders(tmp_path: Path) -> None:
    old, new = generate_keys(tmp_path / "old"), generate_keys(tmp_path / "new")
    signer_old, signer_new = load_signer(old.private_key_path), load_signer(new.private_key_path)
    pem = tmp_path / "old.pub.pem"
    pem.write_bytes(signer_old.key.as_pem(private=False))
    assert list(load_public_keys(pem)) == [old.kid]
    assert list(load_public_keys(old.public_jwk_path)) == [old.kid]
    assert list(load_public_keys(tmp_path / "new")) == [new.kid]  # keygen's folder: the private PEM is skipped
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "a.jwk.json").write_bytes(old.public_jwk_path.read_bytes())
    (trusted / "b.jwk.json").write_bytes(new.public_jwk_path.read_bytes())
    ring = load_public_keys(trusted)
    assert set(ring) == {old.kid, new.kid} and len(ring) == 2
    # Rotation: events of the old key stay verifiable next to the new key's.
    event = {"device": {"kid": old.kid}, "prev_hash": GENESIS_HASH}
    assert verify_jws(sign_event(event, signer_old), ring) == event
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [json.loads(new.public_jwk_path.read_text())]}))
    assert list(load_public_keys(jwks)) == [new.kid]
    assert signer_new.kid in load_public_keys(jwks)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"kty": "RSA", "n": "x", "e": "AQAB"}, "not an Ed25519 public JWK"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "forged"},
         "thumbprint"),
    ],
)
def test_bad_public_jwks_are_refused(tmp_path: Path, members: dict[str, str], message: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(json.dumps(members))
    with pytest.raises(KeyFileError, match=message):
        load_public_keys(path)


def test_private_jwk_and_empty_folder_are_refused(tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    private.write_text(json.dumps(jwk.OKPKey.generate_key("Ed25519").as_dict(private=True)))
    with pytest.raises(KeyFileError, match="private key"):
        load_public_keys(private)
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyFileError, match="no public keys"):
        load_public_keys(tmp_path / "empty")
