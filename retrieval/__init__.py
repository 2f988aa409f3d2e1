"""Pure Arabic retrieval: articles in, cited sentences out. No Telegram, no database, no bot/.

The folders follow the data: `analysis/` (the analyzer chain) → `text/` (articles from raw text) →
`search/` (BM25 over postings) → `answering/` (the news index, abstention, citations). bot/ imports
the few names below from here, never the subpackages, so retrieval can move inside without bot/ noticing.
"""

from retrieval.analysis.analyzer import analyze, fingerprint, term_spans, words
from retrieval.answering.news_index import NewsIndex
from retrieval.answering.replies import (
    SENTENCE_LABEL,
    UNKNOWN_SOURCE,
    Answer,
    AnswerPolicy,
    RelatedHit,
    Reply,
    citation,
)
from retrieval.search.term_index import BM25Params, Encoded, TermIndex
from retrieval.text.article import Article, RelatedLink
from retrieval.text.files import article_files, build_article, load_article_file, load_folder, parse_published

__all__ = [
    "SENTENCE_LABEL",
    "UNKNOWN_SOURCE",
    "Answer",
    "AnswerPolicy",
    "Article",
    "BM25Params",
    "Encoded",
    "NewsIndex",
    "RelatedHit",
    "RelatedLink",
    "Reply",
    "TermIndex",
    "analyze",
    "article_files",
    "build_article",
    "citation",
    "fingerprint",
    "load_article_file",
    "load_folder",
    "parse_published",
    "term_spans",
    "words",
]
