"""The article vectors aggregate: each stored article's embeddings, kept beside it (issue 19).

One row per article: `model` (retrieval.meaning.vectors.model_key: the encoder and the texts it
embedded), its story vector and, where that paid (the newest days), one vector per body sentence, as
float16 bytes (`pack`; 768 bytes a vector of e5-small's 384). A row under another model is stale:
it is never read back, and the refresh job makes it again. The width is read off the story blob
(one row), so nothing else needs storing.
"""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.meaning.vectors import ArticleVectors, pack, unpack

from bot.storage.database import Database, Tx

# An article's time for the sentence window: the same as its age (articles.AGE_SQL), its publication
# date, else when it was ingested.
ARTICLE_TIME = "coalesce(a.published, a.ingested_at)"

# Rows read per statement when vectors are read back.
READ_PAGE = 5_000

_UPSERT = (
    "INSERT INTO article_vectors (article, model, story, sentences) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (article) DO UPDATE SET model = excluded.model, story = excluded.story,"
    " sentences = excluded.sentences"
)


def _packed(row: int, model: str, vectors: ArticleVectors) -> tuple[int, str, bytes, bytes | None]:
    sentences = None if vectors.sentences is None else pack(vectors.sentences)
    return (row, model, pack(vectors.story), sentences)


async def write_vectors(tx: Tx, model: str, items: Sequence[tuple[int, ArticleVectors]]) -> None:
    """Store (or replace) the vectors of article rows inside the caller's transaction, so an article
    and its vectors land together (ArticleStore.add_article, add_articles)."""
    if items:
        await tx.executemany(_UPSERT, [_packed(row, model, v) for row, v in items])


class VectorStore(Database):
    async def store_vectors(self, model: str, items: Sequence[tuple[int, ArticleVectors]]) -> int:
        """Store the vectors of already stored articles (the refresh job's); rows deleted meanwhile are
        skipped. How many were stored."""
        if not items:
            return 0
        async with self._writing() as tx:
            marks = ",".join("?" * len(items))
            alive = {int(r[0]) for r in await tx.fetchall(
                f"SELECT id FROM articles WHERE id IN ({marks})", [row for row, _ in items])}
            kept = [(row, v) for row, v in items if row in alive]
            await write_vectors(tx, model, kept)
        return len(kept)

    async def article_vectors(
        self,
        model: str,
        sentences_since: str | None = None,
        *,
        after_row: int = 0,
        upto_row: int | None = None,
        rows: Sequence[int] | None = None,
    ) -> dict[int, ArticleVectors]:
        """The vectors stored under `model`, by article row: every article's, or those of rows in
        (`after_row`, `upto_row`], or of `rows`. Sentence vectors only for articles dated
        `sentences_since` or later (ISO text; None: all), so memory stays bounded by the window however
        long the database has been kept."""
        if rows is not None:
            found: dict[int, ArticleVectors] = {}
            for start in range(0, len(rows), 400):  # SQLite's limit on bound parameters
                chunk = list(rows[start : start + 400])
                found |= await self._vectors(model, sentences_since, f"v.article IN ({','.join('?' * len(chunk))})", chunk)
            return found
        where, params = "v.article > ?", [after_row]
        if upto_row is not None:
            where, params = f"{where} AND v.article <= ?", [after_row, upto_row]
        return await self._vectors(model, sentences_since, where, params)

    async def _vectors(self, model: str, since: str | None, where: str, params: list[int]) -> dict[int, ArticleVectors]:
        keep = "TRUE" if since is None else f"{ARTICLE_TIME} >= ?"
        found: dict[int, ArticleVectors] = {}
        last = -1
        while True:
            # In pages, each page's stories decoded as one matrix (the vectors are views of its rows):
            # a start reading 30k articles never holds 30k small blobs and arrays at once, which the
            # allocator would keep long after they are gone.
            rows = await self._fetchall(
                f"SELECT v.article, v.story, CASE WHEN {keep} THEN v.sentences END"
                f" FROM article_vectors v JOIN articles a ON a.id = v.article WHERE v.model = ? AND {where}"
                f" AND v.article > ? ORDER BY v.article LIMIT {READ_PAGE}",
                (*(() if since is None else (since,)), model, *params, last),
            )
            if not rows:
                return found
            dim = len(rows[0][1]) // 2  # one float16 row
            stories = unpack(b"".join(bytes(r[1]) for r in rows), dim)
            for (row, _, sentences), story in zip(rows, stories, strict=True):
                found[int(row)] = ArticleVectors(story, None if sentences is None else unpack(bytes(sentences), dim))
            last = int(rows[-1][0])

    async def unembedded(self, model: str, limit: int, from_row: int = 0) -> list[int]:
        """Up to `limit` article rows after `from_row`, newest first, with no vectors under `model`
        (never embedded, or by another encoder or recipe)."""
        rows = await self._fetchall(
            "SELECT a.id FROM articles a LEFT JOIN article_vectors v ON v.article = a.id"
            " WHERE a.id > ? AND (v.article IS NULL OR v.model <> ?) ORDER BY a.id DESC LIMIT ?",
            (from_row, model, limit),
        )
        return [int(r[0]) for r in rows]

    async def lacking_sentences(self, model: str, since: str, limit: int) -> list[int]:
        """Up to `limit` article rows dated `since` or later, newest first, whose story is embedded under
        `model` but whose sentences are not."""
        rows = await self._fetchall(
            f"SELECT a.id FROM articles a JOIN article_vectors v ON v.article = a.id"
            f" WHERE v.model = ? AND v.sentences IS NULL AND {ARTICLE_TIME} >= ? ORDER BY a.id DESC LIMIT ?",
            (model, since, limit),
        )
        return [int(r[0]) for r in rows]

    async def newest_article_time(self) -> str | None:
        """The time (ISO text, UTC) of the newest stored article: its publication date, else its ingest
        time; None when there is none. Text order is time order (articles are stored in UTC)."""
        row = await self._fetchone(f"SELECT max({ARTICLE_TIME}) FROM articles a")
        return None if row is None or row[0] is None else str(row[0])

    async def vector_counts(self, model: str) -> tuple[int, int]:
        """(articles with vectors under `model`, of which with sentence vectors)."""
        row = await self._fetchone(
            "SELECT count(*), count(sentences) FROM article_vectors WHERE model = ?", (model,))
        return (int(row[0]), int(row[1])) if row else (0, 0)
