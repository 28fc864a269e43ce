"""Whose request is this: the client's address behind trusted proxies.

Behind a load balancer every connection comes from the balancer, so a limit per
peer address would be one limit for everyone. The balancer says who the client
was in ``X-Forwarded-For`` (or RFC 7239's ``Forwarded``), but anyone can send
those headers, so they count only when the peer is a trusted proxy
(``QUIZBOARD_TRUSTED_PROXIES``: addresses or networks). Then the client is the
right-most address in the header that is not itself a trusted proxy: each
proxy appends the address it saw, and only the part our own proxies wrote can
be believed.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from quizboard.core.errors import ConfigError

Network = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 10.1.0.0/16, ::1"`` as networks; :class:`ConfigError` names a bad one."""
    networks = []
    for item in raw.replace(" ", ",").split(","):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"QUIZBOARD_TRUSTED_PROXIES: {item!r} is not an address or a network"
            ) from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _forwarded_for(header: str) -> list[str]:
    """The ``for=`` values of a ``Forwarded`` header, ports and brackets removed."""
    hops = []
    for element in header.split(","):
        value = ""
        for pair in element.split(";"):
            name, _, given = pair.strip().partition("=")
            if name.lower() == "for":
                value = given.strip().strip('"')
        if value.startswith("["):  # "[2001:db8::1]:4711"
            value = value[1 : value.find("]")] if "]" in value else ""
        elif value.count(":") == 1:  # "192.0.2.43:47011"
            value = value.partition(":")[0]
        hops.append(value)
    return hops


def client_address(
    peer: str,
    trusted: tuple[Network, ...],
    forwarded_for: str | None = None,
    forwarded: str | None = None,
) -> str:
    """The client's address for a request from ``peer`` with these headers.

    The peer's own address unless it is trusted; then the right-most address of
    ``X-Forwarded-For`` (else ``Forwarded``) that is not a trusted proxy. A hop
    that is not an address ends the walk at the last good one.
    """
    if not trusted:
        return peer
    address = _address(peer)
    if address is None or not any(address in network for network in trusted):
        return peer
    if forwarded_for:
        hops = forwarded_for.split(",")
    elif forwarded:
        hops = _forwarded_for(forwarded)
    else:
        return peer
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not any(address in network for network in trusted):
            break
    return client
