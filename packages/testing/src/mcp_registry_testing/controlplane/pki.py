"""The test control plane's keys: one CA, the API server's serving certificate, client
certificates for the admin, the controller-manager and the node agent, and the service-account
signing key pair. PEM files in one directory; nothing outlives the test run."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_IP = "10.96.0.1"
"""The `kubernetes` Service's cluster IP (the first of --service-cluster-ip-range)."""
API_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
_LIFETIME = datetime.timedelta(days=2)


@dataclass(frozen=True)
class ClientCert:
    cert: Path
    key: Path


@dataclass(frozen=True)
class ControlPlanePki:
    ca_cert: Path
    ca_key: Path
    serving: ClientCert
    """The API server's serving certificate and key."""
    admin: ClientCert
    """CN=kubernetes-admin, O=system:masters."""
    controller_manager: ClientCert
    """CN=system:kube-controller-manager (the bootstrap RBAC policy grants its rights)."""
    service_account_key: Path
    """Signs service-account tokens (the API server and the token controller)."""
    service_account_pub: Path
    """Verifies them."""


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def _write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class _Authority:
    def __init__(self) -> None:
        self.now = datetime.datetime.now(datetime.UTC)
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = _name("mcp-registry control plane CA")
        self.cert = (
            self._builder(subject, self.key.public_key())
            .issuer_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), False)
            .sign(self.key, hashes.SHA256())
        )

    def _builder(
        self, subject: x509.Name, public: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - datetime.timedelta(minutes=5))
            .not_valid_after(self.now + _LIFETIME)
        )

    def issue(
        self,
        directory: Path,
        stem: str,
        subject: x509.Name,
        *,
        server_names: tuple[str, ...] = (),
        server_ips: tuple[str, ...] = (),
    ) -> ClientCert:
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_names else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            self._builder(subject, key.public_key())
            .issuer_name(self.cert.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if server_names or server_ips:
            alt: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names]
            alt += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return ClientCert(
            cert=_write_cert(directory / f"{stem}.crt", cert),
            key=_write_key(directory / f"{stem}.key", key),
        )


def make_pki(directory: Path) -> ControlPlanePki:
    """Create every key and certificate the control plane needs under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = _Authority()
    sa_key = ec.generate_private_key(ec.SECP256R1())
    sa_pub = directory / "sa.pub"
    sa_pub.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ControlPlanePki(
        ca_cert=_write_cert(directory / "ca.crt", authority.cert),
        ca_key=_write_key(directory / "ca.key", authority.key),
        serving=authority.issue(
            directory,
            "apiserver",
            _name("kube-apiserver"),
            server_names=API_NAMES,
            server_ips=("127.0.0.1", "::1", SERVICE_IP),
        ),
        admin=authority.issue(directory, "admin", _name("kubernetes-admin", "system:masters")),
        controller_manager=authority.issue(
            directory, "controller-manager", _name("system:kube-controller-manager")
        ),
        service_account_key=_write_key(directory / "sa.key", sa_key),
        service_account_pub=sa_pub,
    )
