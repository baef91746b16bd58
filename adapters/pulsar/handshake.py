"""Asks a Pulsar broker why it refuses a connection, when pulsar-client cannot say.

pulsar-client (3.13) retries a connection the broker refused (a token it cannot
verify, a certificate the client does not trust) until its operation timeout, then
reports only ``Timeout``. This module opens one connection the same way (TLS with the
same trust, the same token), sends the protocol's CONNECT and returns the refusal: the
broker's ``CommandError`` (e.g. ``AuthenticationError: Failed to authenticate``) or the
TLS layer's verdict on the broker's certificate.
"""

import asyncio
import ssl
import struct
from urllib.parse import urlsplit

from .errors import BrokerUnavailableError, ConnectionRefusedByBrokerError, PulsarAdapterError
from .security import PulsarSecurity

_CONNECT, _CONNECTED, _ERROR = 2, 3, 14  # BaseCommand.Type
_PROTOCOL_VERSION = 21
_SERVER_ERRORS = {  # ServerError, the ones a connection can meet
    0: "UnknownError",
    1: "MetadataError",
    3: "AuthenticationError",
    4: "AuthorizationError",
    5: "ServiceNotReady",
    6: "TooManyRequests",
}


_NOT_LISTENING = "nothing listens"


async def refusal(url: str, security: PulsarSecurity, timeout: float = 5.0) -> str | None:
    """Why the broker at ``url`` refuses this client (``_NOT_LISTENING`` when its host
    refuses the TCP connection); None if it accepts it (or does not answer, which is not
    a refusal)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 6650
    context = _tls_context(security) if parts.scheme == "pulsar+ssl" or security.use_ssl else None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host if context else None
            )
            try:
                writer.write(_connect_frame(security.token))
                await writer.drain()
                size = struct.unpack(">I", await reader.readexactly(4))[0]
                frame = await reader.readexactly(size)
            finally:
                writer.close()
    except ssl.SSLCertVerificationError as error:
        return f"TLS: the broker's certificate was not accepted ({error.verify_message})"
    except ssl.SSLError as error:
        return f"TLS: {error.reason or error}"
    except ConnectionRefusedError:
        return _NOT_LISTENING
    except (OSError, TimeoutError, asyncio.IncompleteReadError, struct.error):
        return None
    return _answer(frame)


async def connect_failure(
    url: str, security: PulsarSecurity, timeout: float, error: BaseException
) -> PulsarAdapterError:
    """The error to raise when a client could not reach the broker at ``url`` within
    ``timeout`` seconds: the broker's refusal of this client (a token or certificate
    it does not accept), else BrokerUnavailableError."""
    reason = await refusal(url, security, min(timeout, 5.0))
    if reason == _NOT_LISTENING:
        return BrokerUnavailableError(url, timeout, error, refused=True)
    if reason:
        return ConnectionRefusedByBrokerError(url, security.describe(), reason)
    return BrokerUnavailableError(url, timeout, error)


def _tls_context(security: PulsarSecurity) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=security.tls_trust_certs_file_path)
    if security.tls_allow_insecure_connection:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif not security.tls_validate_hostname:
        context.check_hostname = False
    if security.tls_certificate_file_path and security.tls_private_key_file_path:
        context.load_cert_chain(
            security.tls_certificate_file_path, security.tls_private_key_file_path
        )
    return context


def _connect_frame(token: str | None) -> bytes:
    connect = _field(1, b"alpes-handshake") + _field(4, _PROTOCOL_VERSION)
    if token:
        connect += _field(5, b"token") + _field(3, token.encode())
    command = _field(1, _CONNECT) + _field(2, connect)
    return struct.pack(">II", len(command) + 4, len(command)) + command


def _answer(frame: bytes) -> str | None:
    size = struct.unpack(">I", frame[:4])[0]
    command = dict(_decode(frame[4 : 4 + size]))
    if command.get(1) != _ERROR or not isinstance(error := command.get(14), bytes):
        return None  # CONNECTED (or something else that is no refusal)
    fields = dict(_decode(error))
    code, message = fields.get(2), fields.get(3)
    name = _SERVER_ERRORS.get(code, f"ServerError {code}") if isinstance(code, int) else "Error"
    text = message.decode(errors="replace") if isinstance(message, bytes) else ""
    return f"{name}: {text}" if text else name


def _field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _decode(buffer: bytes) -> list[tuple[int, int | bytes]]:
    """Top-level fields of a protobuf message (varints and length-delimited only)."""
    fields: list[tuple[int, int | bytes]] = []
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = buffer[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(buffer):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            fields.append((number, varint()))
        elif wire == 2:
            length = varint()
            fields.append((number, buffer[position : position + length]))
            position += length
        else:
            break  # a type CONNECTED/ERROR never carry at the top level
    return fields
