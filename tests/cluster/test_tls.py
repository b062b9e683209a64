"""``dflow cluster up --tls``: certificate files, and who the scheduler lets in."""

from __future__ import annotations

import gc
import os
import stat
from dataclasses import replace

import pytest
from cryptography import x509
from distributed import Client, Security

from dflow.cluster import active_cluster, connect
from dflow.cluster.launch import ClusterOptions, start_cluster
from dflow.cluster.status import cluster_status
from dflow.cluster.tls import ROLES, write_cluster_certs
from dflow.errors import ClusterError


def _refused(address: str, security: Security | None) -> str:
    """Try a Client that should be refused; return the error it raised."""
    try:
        Client(address, security=security, timeout=3).close()
    except Exception as exc:  # any refusal is what we want
        message = f"{type(exc).__name__}: {exc}"
    else:
        raise AssertionError(f"a client got into {address} with security={security!r}")
    gc.collect()  # finalize the failed Client now, not while the next one starts
    return message


def test_cert_files_are_private_and_signed_by_the_ca(tmp_path):
    paths = write_cluster_certs(tmp_path / "tls", ["node1.example", "10.1.2.3"])
    assert stat.S_IMODE(os.stat(tmp_path / "tls").st_mode) == 0o700
    assert set(paths) == {"ca_file"} | {f"{r}_{k}" for r in ROLES for k in ("cert", "key")}
    for path in paths.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(open(paths["ca_file"], "rb").read())
    for role in ROLES:
        cert = x509.load_pem_x509_certificate(open(paths[f"{role}_cert"], "rb").read())
        cert.verify_directly_issued_by(ca)  # raises if not signed by the CA
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "node1.example" in sans.get_values_for_type(x509.DNSName)
        assert {str(a) for a in sans.get_values_for_type(x509.IPAddress)} >= {
            "127.0.0.1",
            "10.1.2.3",
        }


@pytest.mark.timeout(120)
def test_tls_cluster_refuses_clients_without_certificates(home):
    record = start_cluster(ClusterOptions(workers=1, port=0, dashboard_port=0, tls=True))
    assert record.address.startswith("tls://127.0.0.1:")
    assert record.security is not None
    for path in record.security.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert isinstance(record.to_security(), Security)
    assert active_cluster() == record

    assert "ssl_context" in _refused(record.address, None)  # no TLS at all
    ca_only = Security(tls_ca_file=record.security["ca_file"], require_encryption=True)
    assert "ssl_context" in _refused(record.address, ca_only)  # TLS, but no client cert
    plain = _refused(record.address.replace("tls://", "tcp://"), None)  # TCP on the TLS port
    assert "Connection" in plain or "closed" in plain.lower()
    no_cert = replace(
        record,
        security={
            **record.security,
            "client_cert": record.security["worker_cert"],
            "client_key": record.security["scheduler_key"],
        },
    )
    with pytest.raises(ClusterError, match="cannot reach the cluster scheduler"):
        connect(no_cert, timeout=3)  # a certificate that does not match its key

    client = connect(record)
    try:
        assert client.submit(lambda x: x * 2, 21).result(timeout=30) == 42
    finally:
        client.close()
    status = cluster_status()
    assert status.tls and len(status.workers) == 1
    assert status.workers[0].address.startswith("tls://")


def test_without_cryptography_tls_is_refused_with_the_install_hint(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys\n"
        "sys.modules['cryptography'] = None  # as if dflow[tls] were not installed\n"
        "from pathlib import Path\n"
        "from dflow.cluster.tls import write_cluster_certs\n"
        "from dflow.errors import ClusterError\n"
        "try:\n"
        f"    write_cluster_certs(Path({str(tmp_path / 'tls')!r}))\n"
        "except ClusterError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "needs the 'cryptography' package" in out.stdout
    assert "pip install 'dflow[tls]'" in out.stdout
    assert not (tmp_path / "tls").exists()
