"""Readiness probe for scripts/services: one Kafka Metadata request (v1), standard library only.

Exit 0 when the broker at HOST PORT answers and lists at least one live broker (itself, once it
is unfenced), 1 otherwise. Usage: python3 kafka_probe.py HOST PORT
"""

import socket
import struct
import sys

METADATA, VERSION, CORRELATION_ID = 3, 1, 42
CLIENT_ID = b"tradewind-services-probe"


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def live_brokers(host: str, port: int) -> int:
    # Request header v1 (api key, version, correlation id, client id) + body: empty topic list.
    request = struct.pack(">hhih", METADATA, VERSION, CORRELATION_ID, len(CLIENT_ID)) + CLIENT_ID
    request += struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=3) as sock:
        sock.settimeout(3)
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", recv_exact(sock, 4))
        response = recv_exact(sock, size)
    correlation_id, brokers = struct.unpack_from(">ii", response)
    return brokers if correlation_id == CORRELATION_ID else 0


def main() -> int:
    try:
        return 0 if live_brokers(sys.argv[1], int(sys.argv[2])) > 0 else 1
    except (OSError, struct.error):
        return 1


if __name__ == "__main__":
    sys.exit(main())
