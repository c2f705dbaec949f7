"""The address a request is counted against (login limits).

Behind a load balancer every peer is the balancer, so the client is read from
X-Forwarded-For - but only the entries trusted proxies wrote can be believed:
everything left of them is whatever the client chose to send."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import HTTPConnection

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def _parse(text: str) -> Address | None:
    try:
        addr = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        # A dual-stack socket reports IPv4 peers this way; one spelling per address.
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, trusted: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """`peer`, or when it is a trusted proxy, the rightmost X-Forwarded-For entry
    that is not; a malformed entry ends the walk at the hop that passed it on."""
    if peer is None:
        return "unknown"
    if not trusted:
        return peer
    hop = _parse(peer)
    if hop is None:
        return peer  # not an IP peer (a unix socket, a test client)
    if not _trusted(hop, trusted):
        return str(hop)
    entries = [e for header in forwarded_for for e in header.split(",")]
    for entry in reversed(entries):
        addr = _parse(entry)
        if addr is None:
            break
        hop = addr
        if not _trusted(addr, trusted):
            break
    return str(hop)


def connection_address(conn: HTTPConnection, trusted: Sequence[Network]) -> str:
    """The client address of an HTTP request or a websocket."""
    peer = conn.client.host if conn.client else None
    return client_address(peer, conn.headers.getlist("x-forwarded-for"), trusted)
