"""The articles aggregate: articles with their body sentences and related links, and their ages."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timezone
from itertools import chain, count
from typing import Any

from retrieval import Article, RelatedLink, parse_published

from retrieval.meaning.vectors import ArticleVectors

from bot.age import age_cutoff, believable_published, cutoff_text
from bot.storage.database import Database, utc_now
from bot.storage.vectors import write_vectors


def _published_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    # Aware datetimes are stored in UTC so that text order is time order.
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat()


# An article's age: its publication date, or when it was ingested if it has none (an undated
# article still ages out, counted from when the bot first saw it).
AGE_SQL = "coalesce(a.published, a.ingested_at)"


def young(max_age_days: float | None, now: datetime | None) -> tuple[str, tuple[Any, ...]]:
    """SQL condition (on alias `a`) for articles within `max_age_days` of `now`, with its parameters."""
    cutoff = cutoff_text(age_cutoff(max_age_days, now))
    return ("TRUE", ()) if cutoff is None else (f"{AGE_SQL} >= ?", (cutoff,))


# An article id held by another text gets the start of this text's fingerprint (see free_id).
ID_DIGEST_CHARS = 10


async def free_id(tx: Any, wanted: str, digest: str, taken: set[str]) -> str:
    """The id an article is stored under: `wanted` (a file's path below its folder, a page's URL hash)
    when no stored article holds it, else `wanted~` and the start of its fingerprint (`news~3f2a1b9c04`).

    Duplicates are decided by content, never by name: two files named news.txt with different texts
    are two articles. The id is stable: the same text always asks for the same two ids, and an edited
    file (a new text) gets one of its own beside the first version. `taken` holds ids known to be held
    (the caller's batch); `wanted` is in it when the caller knows it is held.
    """
    suffixed = f"{wanted}~{digest[:ID_DIGEST_CHARS]}"
    for candidate in chain((wanted, suffixed), (f"{suffixed}~{n}" for n in count(2))):
        if candidate in taken:
            continue
        if await tx.fetchone("SELECT 1 FROM articles WHERE article_id = ?", (candidate,)) is None:
            return candidate
        taken.add(candidate)
    raise AssertionError("unreachable")


class ArticleStore(Database):
    async def add_article(
        self,
        article: Article,
        *,
        canonical_url: str | None = None,
        content_hash: str | None = None,
        feed_url: str | None = None,
        vectors: ArticleVectors | None = None,
        model: str | None = None,
    ) -> int | None:
        """Store `article` in one transaction, with its `vectors` made by `model` when given; its row id,
        or None if it duplicates a stored one (same text, or same canonical URL). An id another text
        holds is made unique (`free_id`)."""
        digest = content_hash if content_hash is not None else article.fingerprint
        # Exclusive: the duplicate check and the insert must see the same articles, in every worker.
        async with self._writing(exclusive=True) as tx:
            dup = await tx.fetchone(
                "SELECT id FROM articles WHERE canonical_url = ? OR content_hash = ?", (canonical_url, digest)
            )
            if dup is not None:
                return None
            now = utc_now()
            article = dataclasses.replace(
                article,
                id=await free_id(tx, article.id, digest, set()),
                published=believable_published(article.published, datetime.fromisoformat(now)),
            )
            row_id = await tx.insert_id(
                "INSERT INTO articles (article_id, title, source, url, canonical_url, content_hash,"
                " published, ingested_at, feed_url, image_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id,
                    article.title,
                    article.source,
                    article.url,
                    canonical_url,
                    digest,
                    _published_text(article.published),
                    now,
                    feed_url,
                    article.image,
                ),
            )
            await tx.executemany(
                "INSERT INTO sentences (article, position, text) VALUES (?, ?, ?)",
                [(row_id, i, s) for i, s in enumerate(article.sentences)],
            )
            await tx.executemany(
                "INSERT INTO related (article, position, title, url) VALUES (?, ?, ?, ?)",
                [(row_id, i, link.title, link.url) for i, link in enumerate(article.related)],
            )
            if vectors is not None and model is not None:
                await write_vectors(tx, model, [(row_id, vectors)])
        return row_id

    async def add_articles(
        self,
        articles: Sequence[Article],
        digests: Sequence[str] | None = None,
        vectors: Sequence[ArticleVectors | None] | None = None,
        model: str | None = None,
    ) -> list[int | None]:
        """Store many articles (files, in bulk) in one transaction: each one's row id, or None where it
        duplicates a stored article or an earlier one of the batch (same content); see `store_articles`."""
        stored = await self.store_articles(articles, digests, vectors, model)
        return [None if one is None else one[0] for one in stored]

    async def store_articles(
        self,
        articles: Sequence[Article],
        digests: Sequence[str] | None = None,
        vectors: Sequence[ArticleVectors | None] | None = None,
        model: str | None = None,
    ) -> list[tuple[int, Article] | None]:
        """Store many articles in one transaction: each one's row and the article as stored (its id
        made unique when another text holds it, see `free_id`), or None where it duplicates a stored
        article or an earlier one of the batch (same content).

        The same rules as `add_article`, in one transaction per batch with one duplicate check and one
        statement per table for the sentences and links: bulk ingest is bound by these round trips.
        `digests`, when given, are the articles' fingerprints already computed (by a worker process);
        `vectors` (one per article, None for one not embedded), those made by `model`, stored with them.
        """
        digests = list(digests) if digests is not None else [a.fingerprint for a in articles]
        # Exclusive: the duplicate check and the inserts must see the same articles, in every worker.
        async with self._writing(exclusive=True) as tx:
            ids: set[str] = set()
            hashes: set[str] = set()
            for chunk in range(0, len(articles), 400):  # SQLite's limit on bound parameters
                some_ids = [a.id for a in articles[chunk : chunk + 400]]
                some_hashes = digests[chunk : chunk + 400]
                found = await tx.fetchall(
                    f"SELECT article_id, content_hash FROM articles WHERE article_id IN ({','.join('?' * len(some_ids))})"
                    f" OR content_hash IN ({','.join('?' * len(some_hashes))})",
                    (*some_ids, *some_hashes),
                )
                ids.update(i for i, _ in found)
                hashes.update(h for _, h in found if h is not None)
            stored: list[tuple[int, Article] | None] = []
            sentences, related = [], []
            embedded: list[tuple[int, ArticleVectors]] = []
            now = utc_now()
            taken_in = datetime.fromisoformat(now)
            for n, (article, digest) in enumerate(zip(articles, digests, strict=True)):
                if digest in hashes:
                    stored.append(None)
                    continue
                if article.id in ids:  # another text holds the id; else it is free (all were looked up)
                    article = dataclasses.replace(article, id=await free_id(tx, article.id, digest, ids))
                published = believable_published(article.published, taken_in)
                if published != article.published:
                    article = dataclasses.replace(article, published=published)
                ids.add(article.id)
                hashes.add(digest)
                row = await tx.insert_id(
                    "INSERT INTO articles (article_id, title, source, url, content_hash, published, ingested_at,"
                    " image_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (article.id, article.title, article.source, article.url, digest,
                     _published_text(article.published), now, article.image),
                )
                stored.append((row, article))
                sentences += [(row, i, s) for i, s in enumerate(article.sentences)]
                related += [(row, i, link.title, link.url) for i, link in enumerate(article.related)]
                if vectors is not None and (made := vectors[n]) is not None:
                    embedded.append((row, made))
            await tx.executemany("INSERT INTO sentences (article, position, text) VALUES (?, ?, ?)", sentences)
            await tx.executemany("INSERT INTO related (article, position, title, url) VALUES (?, ?, ?, ?)", related)
            if model is not None:
                await write_vectors(tx, model, embedded)
        return stored

    async def article_count(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM articles")
        return int(row[0]) if row else 0

    async def article_heads(self) -> list[tuple[int, str, int]]:
        """(row, article id, sentence count) of every stored article, in row order: what an index
        snapshot is checked against, without loading any text."""
        return [
            (int(r), str(i), int(n))
            for r, i, n in await self._fetchall(
                "SELECT a.id, a.article_id, (SELECT count(*) FROM sentences s WHERE s.article = a.id)"
                " FROM articles a ORDER BY a.id"
            )
        ]

    async def article_ids(self) -> set[str]:
        return {str(r[0]) for r in await self._fetchall("SELECT article_id FROM articles")}

    async def max_article_row(self) -> int:
        row = await self._fetchone("SELECT coalesce(max(id), 0) FROM articles")
        return int(row[0]) if row else 0

    async def _load(self, where: str, params: Sequence[Any], order: str = "a.id") -> list[tuple[int, Article]]:
        heads = await self._fetchall(
            # A picture Telegram refused is not offered again: the article is pushed as text.
            f"SELECT a.id, a.article_id, a.title, a.source, a.url, a.published,"
            f" CASE WHEN a.image_refused IS NULL THEN a.image_url END FROM articles a"
            f" WHERE {where} ORDER BY {order}",
            params,
        )
        if not heads:
            return []
        sentences: dict[int, list[str]] = {}
        for row, text in await self._fetchall(
            f"SELECT s.article, s.text FROM sentences s JOIN articles a ON a.id = s.article"
            f" WHERE {where} ORDER BY s.article, s.position",
            params,
        ):
            sentences.setdefault(row, []).append(text)
        related: dict[int, list[RelatedLink]] = {}
        for row, title, url in await self._fetchall(
            f"SELECT r.article, r.title, r.url FROM related r JOIN articles a ON a.id = r.article"
            f" WHERE {where} ORDER BY r.article, r.position",
            params,
        ):
            related.setdefault(row, []).append(RelatedLink(title=title, url=url))
        return [
            (
                row,
                Article(
                    id=article_id,
                    title=title,
                    sentences=tuple(sentences.get(row, ())),
                    related=tuple(related.get(row, ())),
                    source=source,
                    url=url,
                    published=parse_published(published),
                    image=image,
                ),
            )
            for row, article_id, title, source, url, published, image in heads
        ]

    async def all_articles(
        self, max_age_days: float | None = None, *, now: datetime | None = None, upto_row: int | None = None
    ) -> list[tuple[int, Article]]:
        """Every stored article in ingest order; with `max_age_days`, only those that recent (at `now`);
        with `upto_row`, only rows up to it, so a caller can pair the list with a row it read first."""
        return await self.articles_after(0, upto_row=upto_row, max_age_days=max_age_days, now=now)

    async def articles_after(
        self,
        row_id: int,
        *,
        upto_row: int | None = None,
        max_age_days: float | None = None,
        now: datetime | None = None,
    ) -> list[tuple[int, Article]]:
        where, params = young(max_age_days, now)
        where, params = f"{where} AND a.id > ?", (*params, row_id)
        if upto_row is not None:
            where, params = f"{where} AND a.id <= ?", (*params, upto_row)
        return await self._load(where, params)

    async def aged_between(self, since: datetime, until: datetime, upto_row: int) -> bool:
        """Whether an article up to `upto_row` dates from [since, until): young enough when the index
        was built at cutoff `since`, too old at cutoff `until`."""
        row = await self._fetchone(
            f"SELECT 1 FROM articles a WHERE a.id <= ? AND {AGE_SQL} >= ? AND {AGE_SQL} < ? LIMIT 1",
            (upto_row, cutoff_text(since), cutoff_text(until)),
        )
        return row is not None

    async def articles_at(self, rows: Sequence[int]) -> list[tuple[int, Article]]:
        """The stored articles of these rows (those still stored), in row order."""
        if not rows:
            return []
        return await self._load(f"a.id IN ({','.join('?' * len(rows))})", list(rows))

    async def refuse_image(self, url: str, reason: str) -> None:
        """Telegram refused the picture at `url`: every article naming it is pushed as text from now on,
        to every chat. (Rare, so a scan: no index on image_url for every article's sake.)"""
        await self._transaction([(
            "UPDATE articles SET image_refused = ? WHERE image_url = ? AND image_refused IS NULL", (reason[:500], url))])

    async def article(self, row_id: int) -> Article | None:
        found = await self._load("a.id = ?", (row_id,))
        return found[0][1] if found else None

    async def latest(
        self, n: int, max_age_days: float | None = None, *, now: datetime | None = None
    ) -> list[Article]:
        """The `n` newest articles: by publication date, undated ones after, then by ingest order."""
        where, params = young(max_age_days, now)
        heads = await self._fetchall(
            f"SELECT a.id FROM articles a WHERE {where}"
            " ORDER BY a.published IS NULL, a.published DESC, a.id DESC LIMIT ?",
            (*params, n),
        )
        if not heads:
            return []
        ids = [r[0] for r in heads]
        marks = ",".join("?" * len(ids))
        loaded = dict(await self._load(f"a.id IN ({marks})", ids))
        return [loaded[i] for i in ids]
