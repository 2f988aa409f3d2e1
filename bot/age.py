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
