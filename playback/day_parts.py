"""Parts of the day: the one definition the NLU, the batch and serving share.

A play or a request belongs to the part of the day of the listener's *local* clock: the hour
in their timezone. Where no timezone is known (no routine or profile timezone, a country
without one here), the hour is taken in UTC; ``local_part`` says which it used.

``COUNTRY_TIMEZONES`` maps a country code to one IANA zone: for a country that spans several
zones it is the zone where most of its people live (the US: New York), so a listener in
California is read three hours late. A timezone the listener gives (a routine's ``timezone``)
is always preferred.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PartOfDay = Literal["morning", "afternoon", "evening", "night"]
PARTS_OF_DAY: tuple[PartOfDay, ...] = ("morning", "afternoon", "evening", "night")

# Hours (local, 0-23) where each part starts: morning 5-11, afternoon 12-16, evening 17-21,
# night 22-4.
_STARTS: tuple[tuple[int, PartOfDay], ...] = (
    (22, "night"), (17, "evening"), (12, "afternoon"), (5, "morning"),
)  # fmt: skip

# fmt: off
COUNTRY_TIMEZONES: dict[str, str] = {
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo", "AR": "America/Argentina/Buenos_Aires", "GB": "Europe/London",
    "IE": "Europe/Dublin", "DE": "Europe/Berlin", "FR": "Europe/Paris", "ES": "Europe/Madrid",
    "IT": "Europe/Rome", "NL": "Europe/Amsterdam", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "BE": "Europe/Brussels", "PT": "Europe/Lisbon", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul", "CN": "Asia/Shanghai", "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg", "RU": "Europe/Moscow",
}
# fmt: on


def part_of_hour(hour: int) -> PartOfDay:
    """The part of the day a local hour (0-23) falls in."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, got {hour}")
    for start, part in _STARTS:
        if hour >= start:
            return part
    return "night"  # 0-4


def timezone_of(timezone: str | None = None, country: str | None = None) -> ZoneInfo | None:
    """The listener's zone: ``timezone`` when it is a known IANA name, else their country's,
    else None (read UTC)."""
    for name in (timezone, COUNTRY_TIMEZONES.get((country or "").strip().upper())):
        zone = _zone(name) if name else None
        if zone is not None:
            return zone
    return None


def is_timezone(name: str) -> bool:
    """True when ``name`` is an IANA timezone this machine knows."""
    return _zone(name) is not None


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    """The zone named ``name``, or None. Kept here: ``ZoneInfo`` holds only the last eight
    zones strongly, so with listeners in more countries than that, a request read and parsed
    its zone's file again (a quarter of the turns in the load test)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_part(unix_s: float, zone: ZoneInfo | None) -> PartOfDay:
    """The part of the day at ``unix_s`` on the listener's clock (UTC when ``zone`` is
    None)."""
    moment = datetime.fromtimestamp(unix_s, tz=zone or UTC)
    return part_of_hour(moment.hour)
