"""Whose address a sign-in comes from, and the part of it the audit keeps.

Behind a proxy every request comes from the proxy, so the client is named in ``X-Forwarded-For``. Anyone can
send that header, though: it is believed only from the proxies named in ``SIGNIN_TRUSTED_PROXIES``, and then
only the addresses those proxies appended (read from the right, the first address that is not a trusted
proxy is the client). With no trusted proxy (the default) the header is ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "SIGNIN_TRUSTED_PROXIES", ())))


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    ip = _parse(address)
    return ip is not None and any(ip in network for network in trusted_networks())


def client_address(request) -> str:
    """The client's address (django-axes' ``AXES_CLIENT_IP_CALLABLE``)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _parse(hop) is None:
            break  # not an address: a trusted proxy never writes that, so stop believing the header here
        if not is_trusted_proxy(hop):
            return hop
    return remote


def truncated(address: str) -> str:
    """The network an address is in, as the audit keeps it: the /24 of IPv4, the /48 of IPv6. Enough to
    tell an office from a foreign botnet, not enough to name a household. Not an address: empty."""
    ip = _parse(address or "")
    if ip is None:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
