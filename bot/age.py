"""NEWSBOT_MAX_AGE_DAYS: one definition of "too old", shared by feeds, storage, the service and `ask`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def age_cutoff(max_age_days: float | None, now: datetime | None = None) -> datetime | None:
    """The oldest publication time still kept, or None when every article is kept."""
    if max_age_days is None:
        return None
    return (now or datetime.now(timezone.utc)) - timedelta(days=max_age_days)


def cutoff_text(cutoff: datetime | None) -> str | None:
    """`cutoff` as stored dates are written (ISO 8601, UTC), so SQL can compare them as text."""
    return cutoff.astimezone(timezone.utc).isoformat(timespec="seconds") if cutoff is not None else None


def too_old(published: datetime | None, cutoff: datetime | None) -> bool:
    # An undated article cannot be judged here; storage ages it by when it was ingested instead.
    if cutoff is None or published is None:
        return False
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)  # stored dates without a zone are UTC
    return published < cutoff


# A publication date this far past the moment the bot takes an article in is not believed: a wrong
# time zone, a typo, or 9999-12-31 from a hostile feed would lead every /latest until that date. The
# margin covers clocks a little out of step.
FUTURE_TOLERANCE = timedelta(minutes=10)


def believable_published(published: datetime | None, now: datetime) -> datetime | None:
    """The publication date kept for an article taken in at `now` (aware): `published` as given, `now`
    when it lies more than FUTURE_TOLERANCE in the future, None when UTC cannot hold it (year 1 at
    +14:00: a date no news has)."""
    if published is None:
        return None
    aware = published if published.tzinfo is not None else published.replace(tzinfo=timezone.utc)
    if aware > now + FUTURE_TOLERANCE:
        return now
    try:
        aware.astimezone(timezone.utc)
    except OverflowError:
        return None
    return published
