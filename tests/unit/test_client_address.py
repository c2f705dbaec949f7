"""Which address a request counts against: the peer's, or behind trusted proxies
the first X-Forwarded-For entry from the right that no trusted proxy wrote."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from pydantic import ValidationError

from taskboard.clientaddr import client_address
from taskboard.settings import Settings

TRUSTED = (ip_network("10.0.0.0/16"), ip_network("fd00::/8"))


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    # No X-Forwarded-For, or an untrusted peer: the peer.
    ("203.0.113.9", [], "203.0.113.9"),
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
    ("203.0.113.9", ["10.0.0.7"], "203.0.113.9"),
    ("10.0.0.5", [], "10.0.0.5"),
    # Behind the balancer: the entry it appended, whatever the client wrote before it.
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["garbage, 1.1.1.1,198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["1.1.1.1", "198.51.100.1"], "198.51.100.1"),  # repeated headers are one list
    # Several trusted hops are skipped.
    ("10.0.0.5", ["1.1.1.1, 198.51.100.1, 10.0.3.3"], "198.51.100.1"),
    ("10.0.0.5", ["1.1.1.1, 198.51.100.1", "10.0.3.3"], "198.51.100.1"),
    # A client inside the trusted range is itself the client.
    ("10.0.0.5", ["10.0.3.3, 10.0.4.4"], "10.0.3.3"),
    # A malformed entry is not trusted: the hop that passed it on is the client.
    ("10.0.0.5", ["not-an-ip"], "10.0.0.5"),
    ("10.0.0.5", ["not-an-ip, 10.0.3.3"], "10.0.3.3"),
    ("10.0.0.5", ["198.51.100.1:443"], "10.0.0.5"),
    ("10.0.0.5", [""], "10.0.0.5"),
    ("10.0.0.5", [" , "], "10.0.0.5"),
    # One spelling per address, so a client cannot spread its count over spellings.
    ("10.0.0.5", ["2001:DB8:0:0::1"], "2001:db8::1"),
    ("fd00::1", ["2001:db8::1, fd12::3"], "2001:db8::1"),
    ("::ffff:10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["::ffff:10.0.9.9"], "10.0.9.9"),
    ("10.0.0.5", ["::ffff:198.51.100.1"], "198.51.100.1"),
    # Peers that are not addresses (test clients, unix sockets) stay as they are.
    ("testclient", ["198.51.100.1"], "testclient"),
    (None, ["198.51.100.1"], "unknown"),
])
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, TRUSTED) == expected


def test_nothing_is_trusted_by_default() -> None:
    assert Settings().trusted_networks == ()
    assert client_address("10.0.0.5", ["198.51.100.1"], Settings().trusted_networks) == "10.0.0.5"


@pytest.mark.parametrize("raw", ["10.0.0.0/16, fd00::/8", '["10.0.0.0/16", "fd00::/8"]', "10.0.0.0/16,fd00::/8,"])
def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("TASKBOARD_TRUSTED_PROXIES", raw)
    assert Settings().trusted_networks == TRUSTED


def test_a_single_address_is_a_network_of_one() -> None:
    assert Settings(trusted_proxies=["10.1.2.3"]).trusted_networks == (ip_network("10.1.2.3/32"),)


@pytest.mark.parametrize("bad", ["nope", "10.0.0.0/33", "10.0.0.1/16", "10.0.0.0/16 10.1.0.0/16", "*"])
def test_an_invalid_cidr_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("TASKBOARD_TRUSTED_PROXIES", bad)
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings()
