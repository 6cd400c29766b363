"""Who a listener is, without ever keeping who they are.

A listener is the client's address (an IPv6 address cut to its /64, which one household or phone keeps
while the rest of the address rotates) plus the User-Agent, hashed with BLAKE2b keyed by a salt made for
the UTC day. The salt lives in the database so that every process of a site agrees on it, and is deleted
when its day is over (``analytics.counting.prune``): a stored hash cannot be turned back into an address,
nor compared with another day's. The address itself is used for the hash and nowhere else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import date

from django.conf import settings
from django.db import transaction

from .models import DailySalt

_salts: dict[date, bytes] = {}  # per process; a day's salt never changes once made


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or (behind a proxy of ours) the last address of the header named
    by ANALYTICS_IP_HEADER, which our own proxy appended. Private and loopback addresses are addresses
    like any other."""
    header = getattr(settings, "ANALYTICS_IP_HEADER", "")
    if header:
        value = request.headers.get(header, "")
        last = value.rsplit(",", 1)[-1].strip() if value else ""
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def network_of(address: str) -> str:
    """The part of the address that names the listener: all of an IPv4 address, the /64 of an IPv6 one
    (an IPv4-mapped IPv6 address is its IPv4 address). Anything unparsable is kept as it came (it is only
    ever hashed)."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def salt_of(day: date) -> bytes:
    """The day's salt, made by the first request of the day (processes racing to make it agree on one)."""
    salt = _salts.get(day)
    if salt is None:
        with transaction.atomic():
            DailySalt.objects.bulk_create(
                [DailySalt(day=day, salt=secrets.token_hex(32))], ignore_conflicts=True
            )
            salt = bytes.fromhex(DailySalt.objects.get(day=day).salt)
        if len(_salts) > 4:
            _salts.clear()
        _salts[day] = salt
    return salt


def forget_salts(before: date) -> int:
    """Delete the salts of days before ``before`` (here and in this process); how many rows went."""
    for day in [day for day in _salts if day < before]:
        del _salts[day]
    deleted, _ = DailySalt.objects.filter(day__lt=before).delete()
    return deleted


def forget_salts_in_memory() -> None:
    _salts.clear()


def listener(day: date, address: str, user_agent: str) -> str:
    """The listener's hash for the day: 32 hex digits."""
    key = f"{network_of(address)}\n{user_agent}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, key=salt_of(day), digest_size=16).hexdigest()
