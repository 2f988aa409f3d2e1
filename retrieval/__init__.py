"""Pure Arabic retrieval: articles in, cited sentences out. No Telegram, no database, no bot/.

The folders follow the data: `analysis/` (the analyzer chain) → `text/` (articles from raw text) →
`search/` (BM25 over postings) → `answering/` (the news index, abstention, citations). bot/ imports
the few names below from here, never the subpackages, so retrieval can move inside without bot/ noticing.
"""

from retrieval.analysis.analyzer import analyze, fingerprint, term_spans, words
from retrieval.answering.news_index import NewsIndex
from retrieval.conversation.compact import pack, unpack
from retrieval.conversation.followup import Reading, read_question
from retrieval.conversation.smalltalk import SmallTalk, Talk, small_talk
from retrieval.answering.replies import (
    SENTENCE_LABEL,
    UNKNOWN_SOURCE,
    Answer,
    AnswerPolicy,
    RelatedHit,
    Reply,
    citation,
    published_label,
)
from retrieval.search.stories import StoryText, group_stories
from retrieval.search.topics import TopicIndex, TopicMatch, topic_terms, weights_from
from retrieval.search.term_index import BM25Params, Encoded, TermIndex
from retrieval.text.article import Article, RelatedLink
from retrieval.text.files import (
    article_files,
    build_article,
    clip,
    display_name,
    image_url,
    load_article_file,
    load_folder,
    parse_published,
)
from retrieval.text.sentences import split_sentences

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
    "StoryText",
    "TopicIndex",
    "TopicMatch",
    "Reading",
    "Reply",
    "SmallTalk",
    "Talk",
    "TermIndex",
    "analyze",
    "article_files",
    "build_article",
    "citation",
    "clip",
    "display_name",
    "fingerprint",
    "group_stories",
    "image_url",
    "load_article_file",
    "load_folder",
    "parse_published",
    "pack",
    "published_label",
    "read_question",
    "small_talk",
    "split_sentences",
    "term_spans",
    "topic_terms",
    "unpack",
    "weights_from",
    "words",
]
