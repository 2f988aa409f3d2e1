"""The deliveries aggregate: which article went to which subscribed chat, and in what state.

Several workers may deliver from one database. A worker claims a small batch of owed (article, chat)
pairs in one statement: each pair gets the worker's name, a batch token and a lease, and a pair that
is final already, or under another worker's live lease, is left alone. So two workers never hold the
same pair; a worker that dies leaves its claims to run out, and then another takes them over. A
restarted worker (same name) takes its own earlier claims back at once. Before each send the worker
counts the attempt, which also checks the claim is still its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.storage.articles import young
from bot.storage.database import Database, utc_now

# Delivery states. SENDING is written before the send and SENT after it, so after a crash only the
# one message in flight (still SENDING) can go out twice.
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
FINAL_STATUSES = (SENT, FAILED, BLOCKED)

_NOT_FINAL = f"NOT IN ({', '.join('?' * len(FINAL_STATUSES))})"
# No article row is above this (SQLite's and PostgreSQL's largest 64-bit integer).
_NO_ROW_ABOVE = 2**63 - 1


@dataclass(frozen=True)
class Delivery:
    article_row: int
    chat_id: int
    attempts: int


def _time(value: datetime) -> str:
    # Microseconds: a worker restarted within the second must still tell its old claims from new ones.
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _claimable(alias: str) -> str:
    """SQL: the delivery row `alias` may be claimed (params: now, worker, run start)."""
    return (f"({alias}.lease_until IS NULL OR {alias}.lease_until < ?"
            f" OR ({alias}.claimed_by = ? AND {alias}.at < ?))")


class DeliveryStore(Database):
    def _owed(
        self, max_age_days: float | None, now: datetime | None, claims: tuple[str, tuple[Any, ...]] = ("TRUE", ()),
        upto_row: int | None = None, from_row: int = 0,
    ) -> tuple[str, tuple[Any, ...]]:
        """FROM … WHERE of the owed pairs, with its parameters: articles newer than the subscription,
        not finally recorded, not older than `max_age_days` (an archive ingested late is not news to
        push), and the condition `claims` (SQL, params) on a pair not final; only articles from row
        `from_row` on, and with `upto_row`, up to that row (those the worker's index already holds).

        The database walks every (article, chat) pair from `from_row` on, delivered or not (an owed
        pair is a missing row), so `from_row` is what keeps a search short. The deliveries are bounded
        by the same rows (it changes no result: they join on the article): else PostgreSQL may read
        and hash every delivery ever recorded to join a few recent articles against them."""
        condition, young_params = young(max_age_days, now)
        rows, row_params = "BETWEEN ? AND ?", (from_row, upto_row if upto_row is not None else _NO_ROW_ABOVE)
        return (
            " FROM subscriptions s JOIN articles a ON a.id > s.since_article"
            f" LEFT JOIN deliveries d ON d.article = a.id AND d.chat_id = s.chat_id AND d.article {rows}"
            f" WHERE (d.status IS NULL OR (d.status {_NOT_FINAL} AND {claims[0]})) AND {condition}"
            f" AND a.id {rows}",
            (*row_params, *FINAL_STATUSES, *claims[1], *young_params, *row_params),
        )

    async def pending_deliveries(
        self,
        limit: int | None = None,
        max_age_days: float | None = None,
        now: datetime | None = None,
        *,
        worker: str | None = None,
        since: datetime | None = None,
        upto_row: int | None = None,
        from_row: int = 0,
    ) -> list[Delivery]:
        """(article, chat) pairs still owed, ordered by article then chat (the order a broadcast goes).
        With `worker`, only those it may claim (see claim_deliveries; `since` is its run's start);
        only those of articles from row `from_row` (see claim_deliveries) and, with `upto_row`, up to
        that row."""
        claims: tuple[str, tuple[Any, ...]] = ("TRUE", ())
        if worker is not None:
            moment = now or datetime.now(timezone.utc)
            claims = (_claimable("d"), (_time(moment), worker, _time(since or moment)))
        owed, params = self._owed(max_age_days, now, claims, upto_row, from_row)
        rows = await self._fetchall(
            "SELECT a.id, s.chat_id, coalesce(d.attempts, 0)" + owed + " ORDER BY a.id, s.chat_id"
            + (" LIMIT ?" if limit is not None else ""),
            (*params, *(() if limit is None else (limit,))),
        )
        return [Delivery(article_row=r[0], chat_id=r[1], attempts=r[2]) for r in rows]

    async def owed_count(
        self, from_row: int = 0, upto_row: int | None = None, max_age_days: float | None = None, cap: int = 100_000
    ) -> tuple[int, int | None]:
        """How many (article, chat) pairs are still owed (claimed or not) among articles from row
        `from_row` up to (not including) `upto_row`, counted up to `cap`; and the lowest article row
        among them (None if none). Every pair of an article below the lowest is final, so the next
        count can start there: a long-running bot counts only its recent articles' pairs."""
        owed, params = self._owed(max_age_days, None, upto_row=None if upto_row is None else upto_row - 1,
                                  from_row=from_row)
        row = await self._fetchone(
            f"SELECT count(*), min(article) FROM (SELECT a.id AS article{owed} LIMIT ?) AS owed", (*params, cap))
        return (int(row[0]), row[1]) if row else (0, None)

    async def claim_deliveries(
        self,
        worker: str,
        lease_seconds: float,
        limit: int,
        *,
        run_started: datetime,
        after: tuple[int, int] = (0, 0),
        max_age_days: float | None = None,
        now: datetime | None = None,
        upto_row: int | None = None,
        from_row: int = 0,
    ) -> list[Delivery]:
        """Claim up to `limit` owed pairs for `worker` until `lease_seconds` from now, in broadcast order.

        Claimable: never tried, or under no live claim, or under this worker's claim from before
        `run_started` (a restart, or a send postponed by an earlier run). Claims taken in this run are
        not claimed again by it. Recorded SENDING; the attempt is counted by `start_attempt`.
        `after` (article row, chat), the last pair this run claimed: the search starts past it, so
        a broadcast costs a short index walk per batch instead of a scan of every pair.
        `upto_row`: only articles up to that row, the last one the worker's index holds, so that a
        subscriber who asks about a push gets the answer.
        `from_row`: only articles from that row on; the caller's low-water mark, below which every
        pair is final (bot/telegram/delivery.py), so that a run's first claim does not walk every pair
        ever delivered.
        """
        now = now or datetime.now(timezone.utc)
        moment, started, token = _time(now), _time(run_started), uuid.uuid4().hex
        until = _time(now + timedelta(seconds=lease_seconds))
        # From the cursor or the mark, whichever is further: past the mark, a.id > after[0] holds.
        owed, params = self._owed(max_age_days, now, (_claimable("d"), (moment, worker, started)), upto_row,
                                  max(from_row, after[0]))
        await self._transaction(
            [(
                "INSERT INTO deliveries (article, chat_id, status, attempts, at, claimed_by, claim, lease_until)"
                " SELECT a.id, s.chat_id, ?, 0, ?, ?, ?, ?" + owed
                + " AND (a.id > ? OR s.chat_id > ?) ORDER BY a.id, s.chat_id LIMIT ?"
                " ON CONFLICT (article, chat_id) DO UPDATE SET status = excluded.status, at = excluded.at,"
                " claimed_by = excluded.claimed_by, claim = excluded.claim, lease_until = excluded.lease_until"
                f" WHERE deliveries.status {_NOT_FINAL} AND {_claimable('deliveries')}",
                (SENDING, moment, worker, token, until, *params,
                 after[0], after[1], limit,
                 *FINAL_STATUSES, moment, worker, started),
            )]
        )
        rows = await self._fetchall(
            "SELECT article, chat_id, attempts FROM deliveries WHERE claim = ? ORDER BY article, chat_id", (token,))
        return [Delivery(article_row=r[0], chat_id=r[1], attempts=r[2]) for r in rows]

    async def start_attempt(self, article_row: int, chat_id: int, worker: str, lease_seconds: float) -> bool:
        """Count one send attempt of a pair `worker` claimed, renewing its lease; False if the claim
        was lost meanwhile (it ran out and another worker took the pair over, or it is final) or the
        chat is no longer subscribed (it blocked the bot or unsubscribed since the claim)."""
        now = datetime.now(timezone.utc)
        return await self._transaction(
            [(
                "UPDATE deliveries SET attempts = attempts + 1, at = ?, lease_until = ?"
                " WHERE article = ? AND chat_id = ? AND claimed_by = ? AND status = ?"
                " AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.chat_id = deliveries.chat_id)",
                (_time(now), _time(now + timedelta(seconds=lease_seconds)), article_row, chat_id, worker, SENDING),
            )]
        ) > 0

    async def extend_claims(self, worker: str, seconds: float) -> None:
        """Keep every live claim of `worker` for `seconds` more from now (before a long flood-limit wait)."""
        until = _time(datetime.now(timezone.utc) + timedelta(seconds=seconds))
        await self._transaction(
            [(
                "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ? AND status = ?"
                " AND lease_until IS NOT NULL AND lease_until < ?",
                (until, worker, SENDING, until),
            )]
        )

    async def record_delivery(self, article_row: int, chat_id: int, status: str, detail: str | None = None) -> None:
        """Record the state of one delivery; SENDING counts an attempt. A final state ends any claim."""
        bump = 1 if status == SENDING else 0
        await self._transaction(
            [
                (
                    "INSERT INTO deliveries (article, chat_id, status, attempts, at, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(article, chat_id) DO UPDATE SET"
                    " status = excluded.status, attempts = deliveries.attempts + ?, at = excluded.at,"
                    " detail = excluded.detail, lease_until = CASE WHEN excluded.status = ?"
                    " THEN deliveries.lease_until END",
                    (article_row, chat_id, status, bump, utc_now(), detail, bump, SENDING),
                )
            ]
        )

    async def deliveries(self, chat_id: int | None = None) -> list[tuple[int, int, str, int]]:
        """(article row, chat, status, attempts) rows, for inspection and tests."""
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        return [
            (r[0], r[1], r[2], r[3])
            for r in await self._fetchall(
                f"SELECT article, chat_id, status, attempts FROM deliveries {where} ORDER BY article, chat_id", params
            )
        ]

    async def delivery_claims(self) -> list[tuple[int, int, str | None, int]]:
        """(article row, chat, claiming worker, attempts) rows, for inspection and tests."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in await self._fetchall(
                "SELECT article, chat_id, claimed_by, attempts FROM deliveries ORDER BY article, chat_id")
        ]
