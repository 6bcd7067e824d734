"""A local certificate authority standing in for Amazon's, and requests signed like Alexa's.

``Pki.create()`` makes a root CA, an intermediate and an ``echo-api.amazon.com`` leaf (the
shape of Amazon's real chain), plus the broken variants the verification tests need: a leaf
issued by a CA nobody trusts, an expired leaf, and a leaf for another name.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Issued:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: Issued | None,
    *,
    ca: bool,
    dns: str | None = None,
    not_before: dt.datetime = NOW - dt.timedelta(days=30),
    not_after: dt.datetime = NOW + dt.timedelta(days=300),
) -> Issued:
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.certificate.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )  # fmt: skip
    if dns is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False
        )
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


@dataclass
class Pki:
    root: Issued
    intermediate: Issued
    leaf: Issued
    chains: dict[str, bytes] = field(default_factory=dict)  # variant -> PEM chain
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # variant -> leaf key

    @classmethod
    def create(cls) -> Pki:
        root = _issue("Test Root CA", _key(), None, ca=True)
        intermediate = _issue("Test Intermediate CA", _key(), root, ca=True)
        leaf_key = _key()
        leaf = _issue("echo-api.amazon.com", leaf_key, intermediate, ca=False,
                      dns="echo-api.amazon.com")  # fmt: skip
        rogue_root = _issue("Rogue Root CA", _key(), None, ca=True)
        rogue = _issue("echo-api.amazon.com", leaf_key, rogue_root, ca=False,
                       dns="echo-api.amazon.com")  # fmt: skip
        expired = _issue(
            "echo-api.amazon.com", leaf_key, intermediate, ca=False, dns="echo-api.amazon.com",
            not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1),
        )  # fmt: skip
        other_name = _issue("www.example.com", leaf_key, intermediate, ca=False,
                            dns="www.example.com")  # fmt: skip
        pki = cls(root, intermediate, leaf)
        pki.chains = {
            "good": leaf.pem() + intermediate.pem(),
            "wrongly-chained": rogue.pem() + rogue_root.pem(),
            "expired": expired.pem() + intermediate.pem(),
            "other-name": other_name.pem() + intermediate.pem(),
            "leaf-only": leaf.pem(),
        }
        return pki


def sign(body: bytes, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_request(
    envelope: dict[str, Any], key: rsa.RSAPrivateKey, chain_url: str = CHAIN_URL
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) as Alexa would send them."""
    body = json.dumps(envelope).encode()
    headers = {
        "SignatureCertChainUrl": chain_url,
        "Signature-256": sign(body, key),
        "content-type": "application/json",
    }
    return body, headers
