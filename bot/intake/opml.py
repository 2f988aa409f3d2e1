"""OPML feed lists, in and out: what every feed reader exports and RSS-to-Telegram bots import.

Reading goes through defusedxml with DTDs forbidden outright: an OPML file has no use for one, and
every XML attack on a parser (entity expansion, the billion laughs, external entities and DTDs that
fetch files or URLs) needs one. The size is bounded before parsing, and the number of feeds after.
A document that fails any check raises OPMLError and yields nothing, so an import changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

# An OPML export of a few thousand feeds is ~500 KB; anything past this is not a feed list.
MAX_OPML_BYTES = 1_000_000
MAX_OPML_FEEDS = 5_000
MAX_TITLE_CHARS = 200


class OPMLError(ValueError):
    """The document is not a usable OPML feed list; str() says why, in one line."""


@dataclass(frozen=True)
class OPMLFeed:
    url: str
    title: str | None = None


def _attribute(outline: ElementTree.Element, name: str) -> str | None:
    # Exporters disagree on case: xmlUrl, xmlurl, XMLURL.
    for key, value in outline.attrib.items():
        if key.lower() == name.lower():
            return value.strip() or None
    return None


def parse_opml(data: bytes) -> list[OPMLFeed]:
    """The feeds of an OPML document, nested outlines included, in document order (a feed listed
    twice comes twice: the importer reports it)."""
    if len(data) > MAX_OPML_BYTES:
        raise OPMLError(f"the file is larger than {MAX_OPML_BYTES // 1000} KB")
    try:
        root = SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise OPMLError("refused: the document declares a DTD or entities, which an OPML file never needs") from None
    except ElementTree.ParseError as exc:
        raise OPMLError(f"malformed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not an OPML document (its root element is <{root.tag[:40]}>)")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OPMLError("not an OPML document (no <body>)")
    found: list[OPMLFeed] = []
    for outline in body.iter():  # every depth: folders of feeds nest outlines in outlines
        if not isinstance(outline.tag, str) or outline.tag.lower() != "outline":
            continue
        url = _attribute(outline, "xmlUrl")
        if url is None:
            continue
        title = _attribute(outline, "title") or _attribute(outline, "text")
        found.append(OPMLFeed(url, title[:MAX_TITLE_CHARS] if title else None))
        if len(found) > MAX_OPML_FEEDS:
            raise OPMLError(f"more than {MAX_OPML_FEEDS} feeds")
    return found


def write_opml(feeds: list[OPMLFeed], title: str = "newsbot feeds", now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing `feeds` (ElementTree escapes every attribute)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    created = (now or datetime.now(timezone.utc)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    ElementTree.SubElement(head, "dateCreated").text = created
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        ElementTree.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
