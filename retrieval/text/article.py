"""An article and the parser that separates its body from related headlines and site chrome.

News pages saved as text carry more than the story: a "تابع أيضا" block of other headlines, teaser
lines of other stories cut off with "…", and chrome such as a cookie notice. Only body sentences may
answer a question; headlines become related links; chrome is dropped. The rules are conservative so
that a plain article (a Wikipedia paragraph, a wire story) comes through as body sentences only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources

from retrieval.analysis.analyzer import words as normalized_words
from retrieval.analysis.normalize import normalize
from retrieval.analysis.tokenize import tokenize
from retrieval.text.sentences import split_sentences

# Lines longer than this are prose, never chrome or a headline.
MAX_CHROME_WORDS = 30
MAX_HEADLINE_WORDS = 25

# "تابع أيضا/", "اقرأ أيضاً:", "شاهد أيضا" (normalized, first two words); a headline may follow on the line.
_MARKER = re.compile(r"^(?:تابع|اقرا|طالع|شاهد) (?:ايضا|كذلك)$")
# A teaser ends in "…" or "...", then only dots and spaces, or in "…" and a closing quote.
_TEASER_QUOTES = "\"'”»"
_SENTENCE_END = re.compile(r"[.!?؟…][\"'”’»)\]]*\s*$")
_SPACE = re.compile(r"\s+")
# Chrome glued to the start of a story's first line: share prompts, a slider's "Next Previous", and
# sabq's "Name- سبق- City:" byline.
_LEADING_CHROME = re.compile(
    r"^\s*(?:شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك\s*"
    r"|Next Previous\s*"
    r"|(?:[^\s:.،]+(?:\s[^\s:.،]+){0,3}\s*[-–]\s*)?سبق\s*[-–]\s*[^:.،]{1,30}:\s*)"
)
# A byline or credit line: a few words around a dash, "عمر إبراهيم – عين اليوم", "عين اليوم – جدة".
_BYLINE = re.compile(r"^[^\W\d_][^.!?؟:«»\"]{0,40}\s[-–]\s[^.!?؟:«»\"]{1,40}$")
MAX_BYLINE_WORDS = 6
# A line that is only a wire mark: "// انتهى //", "// يتبع //", "...المزيد".
_WIRE_MARK = re.compile(r"^[\W_]*(?:انتهى|يتبع|المزيد)[\W_]*$")


@dataclass(frozen=True)
class RelatedLink:
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    sentences: tuple[str, ...]
    related: tuple[RelatedLink, ...] = ()
    source: str | None = None
    url: str | None = None
    published: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # The story's lead picture (an http(s) URL the page or feed named), shown with a push; not text.
    image: str | None = None

    @property
    def fingerprint(self) -> str:
        """What the article says, spelling variants and spacing folded: the same story reached by two
        paths (a file, a feed) has one fingerprint, so storage can refuse the second copy."""
        text = normalize(self.title) + "\n" + "\n".join(normalize(s) for s in self.sentences)
        folded = _SPACE.sub(" ", text).strip()
        return hashlib.sha256(folded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParsedText:
    sentences: tuple[str, ...]
    headlines: tuple[str, ...]
    dropped: tuple[str, ...]


@lru_cache(maxsize=1)
def _chrome_phrases() -> tuple[str, ...]:
    text = resources.files("retrieval.resources").joinpath("boilerplate_ar.txt").read_text("utf-8")
    phrases = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            phrases.append(" ".join(normalized_words(line)))
    return tuple(phrases)


def is_chrome(line: str) -> bool:
    found = normalized_words(line)
    if not found or len(found) > MAX_CHROME_WORDS:
        return False
    joined = f" {' '.join(found)} "
    return any(f" {phrase} " in joined for phrase in _chrome_phrases())


def opens_with_chrome(sentence: str) -> bool:
    """A sentence that starts with a chrome phrase ("رابط الخبر بصحيفة الوئام: ..."): such labels
    also come glued to the end of a paragraph, where the line test above cannot see them."""
    joined = f"{' '.join(normalized_words(sentence))} "
    return any(joined.startswith(f"{phrase} ") for phrase in _chrome_phrases())


def strip_leading_chrome(line: str) -> str:
    return _LEADING_CHROME.sub("", line, count=1)


def is_byline(line: str) -> bool:
    """A byline, a credit or a wire mark: a line that names who wrote the story, not what happened."""
    return bool(_WIRE_MARK.match(line)) or (len(tokenize(line)) <= MAX_BYLINE_WORDS and bool(_BYLINE.match(line)))


def related_marker(line: str) -> str | None:
    """If `line` opens a related-headlines block, return what follows the marker on it ('' if nothing)."""
    words = line.split()
    if len(words) < 2 or not _MARKER.match(" ".join(normalized_words(" ".join(words[:2])))):
        return None
    return " ".join(words[2:]).lstrip("/:：-–— ").strip()


def _is_headline(line: str) -> bool:
    """A line that reads as a title: short and without sentence-final punctuation."""
    return len(tokenize(line)) <= MAX_HEADLINE_WORDS and not _SENTENCE_END.search(line)


def _ends_in_ellipsis(line: str) -> bool:
    # Read from the end by hand: a regex searched over the line (r"(?:…|\.\.\.)[.\s]*$") rescans the
    # dots and spaces from every dot, quadratic on a line of 100,000 dots.
    end = len(line)
    while end and (line[end - 1] == "." or line[end - 1].isspace()):
        end -= 1
    if line.endswith("…", 0, end) or "..." in line[end:]:
        return True
    rest = line.rstrip()
    if rest[-1:] and rest[-1] in _TEASER_QUOTES:
        rest = rest[:-1].rstrip()
    return rest.endswith("…")


def _is_teaser(line: str) -> bool:
    return _ends_in_ellipsis(line) and len(tokenize(line)) <= 2 * MAX_HEADLINE_WORDS


def parse_text(text: str) -> ParsedText:
    """Split raw article text into body sentences, related headlines and dropped chrome."""
    lines = [strip_leading_chrome(line.strip()).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    teaser = [_is_teaser(line) for line in lines]
    chrome = [is_chrome(line) for line in lines]
    # only_teasers_from[i]: every line from i on is a teaser or chrome (computed once, from the end).
    only_teasers_from = [True] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        only_teasers_from[i] = only_teasers_from[i + 1] and (teaser[i] or chrome[i])
    body: list[str] = []
    headlines: list[str] = []
    dropped: list[str] = []
    in_related_block = False
    for i, line in enumerate(lines):
        if chrome[i] or is_byline(line):
            dropped.append(line)
            continue
        rest = related_marker(line)
        if rest is not None:
            in_related_block = True
            if rest:
                headlines.append(rest)
            continue
        if in_related_block and _is_headline(line):
            headlines.append(line)
            continue
        in_related_block = False
        # A teaser needs company: a single line ending in "…" inside a story is usually prose.
        neighbours = (i > 0 and teaser[i - 1]) or (i + 1 < len(lines) and teaser[i + 1])
        if teaser[i] and (neighbours or only_teasers_from[i]):
            headlines.append(line)
            continue
        body.append(line)
    sentences = tuple(s for line in body for s in split_sentences(line) if not opens_with_chrome(s))
    return ParsedText(sentences=sentences, headlines=tuple(headlines), dropped=tuple(dropped))
