"""Webhooks over TLS to a pinned address: the connection goes to the address checked for the
host, but the TLS handshake is the host's. The server name sent (SNI) is the URL's host name,
and the certificate is verified against that name, not against the address connected to.

A real TLS server on loopback, with certificates made here by a CA of the test's own; a resolver
maps ``hooks.example.test`` (in no DNS) to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infrastructure.outgoing_http import HttpxWebhookSender

HOST = "hooks.example.test"


@dataclass
class _Ca:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, issuer: _Ca | None, key: ec.EllipticCurvePrivateKey, san: x509.GeneralName | None
) -> x509.Certificate:
    """A CA's own certificate (no ``issuer``), or one for ``san`` signed by ``issuer``."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.cert.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # cert and CRL signing
        builder = builder.add_extension(usage, critical=True)
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return builder.sign(issuer.key if issuer else key, hashes.SHA256())


def _ca() -> _Ca:
    key = ec.generate_private_key(ec.SECP256R1())
    return _Ca(key, _certificate("Holdfast test CA", None, key, None))


def _server_context(ca: _Ca, san: x509.GeneralName, folder: Path, seen: list[str | None]) -> ssl.SSLContext:
    """A server context presenting a certificate for ``san`` only, recording each server name asked for."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("webhook receiver", ca, key, san)
    chain, key_file = folder / f"{id(san)}.pem", folder / f"{id(san)}.key"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key_file)
    context.sni_callback = lambda _socket, name, _context: seen.append(name)
    return context


@dataclass
class _Receiver:
    port: int
    server_names: list[str | None] = field(default_factory=list)  # SNI of every handshake begun
    requests: list[bytes] = field(default_factory=list)  # every request read after a handshake


@asynccontextmanager
async def _tls_receiver(ca: _Ca, san: x509.GeneralName, folder: Path) -> AsyncIterator[_Receiver]:
    receiver = _Receiver(0)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lengths = [
                line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            ]
            length = int(lengths[0]) if lengths else 0
            receiver.requests.append(head + await reader.readexactly(length))
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    context = _server_context(ca, san, folder, receiver.server_names)
    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()


async def _to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"] if host == HOST else []


async def _post(ca: _Ca, receiver: _Receiver) -> tuple[int | None, str | None]:
    trusted = ssl.create_default_context(cadata=ca.pem().decode())
    sender = HttpxWebhookSender(private_targets=True, plain_http=False, resolver=_to_loopback, ssl_context=trusted)
    try:
        answer = await sender.post(f"https://{HOST}:{receiver.port}/hooks", b'{"event":"x"}', {"X-Test": "1"})
    finally:
        await sender.aclose()
    return answer.status_code, answer.error


async def test_the_handshake_names_the_url_s_host_and_a_certificate_for_it_is_accepted(tmp_path: Path) -> None:
    ca = _ca()
    async with _tls_receiver(ca, x509.DNSName(HOST), tmp_path) as receiver:
        status, error = await _post(ca, receiver)

    assert (status, error) == (204, None)
    assert receiver.server_names == [HOST]  # SNI: the name, although the socket went to 127.0.0.1
    [request] = receiver.requests
    assert f"host: {HOST}:{receiver.port}".encode() in request.lower()
    assert request.endswith(b'{"event":"x"}')


@pytest.mark.parametrize(
    "san",
    [
        pytest.param(x509.DNSName("other.example.test"), id="another host's certificate"),
        pytest.param(x509.IPAddress(ipaddress.ip_address("127.0.0.1")), id="the pinned address's certificate"),
    ],
)
async def test_a_certificate_not_for_the_url_s_host_is_refused_and_nothing_is_sent(
    tmp_path: Path, san: x509.GeneralName
) -> None:
    """Verified against the host name: a certificate for the address connected to (which a
    client checking the address would accept) is refused like any other name's."""
    ca = _ca()
    async with _tls_receiver(ca, san, tmp_path) as receiver:
        status, error = await _post(ca, receiver)

    assert status is None
    assert error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in error or "certificate verify failed" in error, error
    assert receiver.server_names == [HOST]
    assert receiver.requests == []  # the handshake failed: no byte of the request was sent
