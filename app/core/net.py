"""The client's network address, behind trusted reverse proxies or not."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[str, ...]
) -> str:
    """The client's address, taking X-Forwarded-For only from trusted proxies.

    `peer` is the address the connection came from. Walks the forwarded chain
    from the nearest hop and returns the first address that is not itself a
    trusted proxy.
    """
    peer = peer or "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


@lru_cache(maxsize=64)
def _networks(
    trusted_proxies: tuple[str, ...],
) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(network, strict=False) for network in trusted_proxies)


def _is_trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted_proxies))
