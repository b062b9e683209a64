"""Certificates for a TLS cluster (``dflow cluster up --tls``).

``distributed.Security.temporary()`` keeps its certificates in memory, so processes
started separately cannot share them. Here a private CA signs one certificate each for
the scheduler, the workers and the client, written as PEM files (mode 0600) in a folder
of their own (mode 0700). Dask's TLS contexts require a certificate from the peer on both
sides, so a client without the client certificate is refused.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from dflow.errors import ClusterError

try:  # the optional extra dflow[tls]: only `dflow cluster up --tls` needs it
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    x509 = None

#: The roles that get a certificate, besides the CA.
ROLES = ("scheduler", "worker", "client")
_VALID_DAYS = 365


def require_tls_support() -> None:
    """Raise a :class:`ClusterError` with the install hint when ``cryptography`` is missing."""
    if x509 is None:
        raise ClusterError(
            "dflow cluster up --tls needs the 'cryptography' package, which is not installed",
            hint="python3 -m pip install 'dflow[tls]'",
        )


def write_cluster_certs(folder: Path, hosts: list[str] | tuple[str, ...] = ("127.0.0.1",)) -> dict:
    """Create a CA and scheduler/worker/client certificates in ``folder``; return their paths.

    The result maps ``ca_file`` and ``<role>_cert`` / ``<role>_key`` for each role in
    :data:`ROLES` to absolute file paths. ``hosts`` (names or IP addresses) go into every
    certificate's subject alternative names, beside ``localhost`` and ``127.0.0.1``.
    """
    require_tls_support()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dflow cluster CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca_file": _write(folder / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))}
    sans = _alt_names(hosts)
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"dflow {role}")])
        cert = (
            _builder(name, ca_name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        paths[f"{role}_cert"] = _write(
            folder / f"{role}.crt", cert.public_bytes(serialization.Encoding.PEM)
        )
        paths[f"{role}_key"] = _write(
            folder / f"{role}.key",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    return paths


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _alt_names(hosts: list[str] | tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in ("localhost", "127.0.0.1", *hosts):
        try:
            entry: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            entry = x509.DNSName(host)
        if entry not in names:
            names.append(entry)
    return names


def _write(path: Path, data: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
    return str(path.resolve())
