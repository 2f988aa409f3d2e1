"""Topic alerts at scale: new articles matched against 10,000 followed topics with TopicIndex.

Run: `.venv/bin/python benchmarks/bench_topics.py [--topics 10000] [--articles 2000] [--repeats 3]`.
Prints figures; asserts nothing about speed.

Articles: the SaudiNewsNet stream (../shared/eval/saudinewsnet.jsonl.gz, via benchmarks/news_corpus.py's
news_records), split into sentences by retrieval's article parser. The first --background articles stand
for the news the bot already holds: topics are drawn from them and their sentence document frequencies
give the idf weights (as the bot takes them from its NewsIndex). The next --articles articles are the
"new" ones, matched.

Topics, as people would follow them: for each topic a headline of a background article is picked and
1 to 3 consecutive words of it that are not all stopwords are taken (a place, a name, «أسعار النفط»),
seeded RNG (--seed). Duplicates are kept: many chats follow the same thing.

Figures (median of --repeats runs over the same articles):
  - index: building the TopicIndex of all topics (analysis included);
  - match: TopicIndex.match per article, with the articles' sentences already analyzed (the bot's
    matcher pays analysis once per article too; it is printed separately);
  - loop: the baseline the issue rules out, a loop over every topic for every article, timed on its
    first step only (the topic's idf coverage over the article's whole term set, the cheapest test
    the real rule implies) on the first --loop-articles articles: a lower bound for any such loop.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_corpus import DEFAULT_CORPUS, news_records  # noqa: E402

from retrieval import (  # noqa: E402
    StoryText, TopicIndex, analyze, build_article, group_stories, topic_terms, weights_from, words,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--background", type=int, default=5_000)
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--loop-articles", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--day", type=int, default=1_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"bench_topics: {args.corpus} not found (it lives in ../shared/eval)", file=sys.stderr)
        return 1

    records = list(news_records(args.corpus, args.background + args.articles))
    articles = [
        build_article(f"a{i}", r["content"], {"title": r.get("title") or "", "source": r.get("source")})
        for i, r in enumerate(records)
    ]
    background, new = articles[: args.background], articles[args.background :]
    started = time.perf_counter()
    new_tokens = [[analyze(s) for s in a.sentences] for a in new]
    analysis_s = time.perf_counter() - started

    doc_freqs: dict[str, int] = {}
    size = 0
    for article in background:
        for sentence in article.sentences:
            size += 1
            for term in set(analyze(sentence)):
                doc_freqs[term] = doc_freqs.get(term, 0) + 1
    weight = weights_from(doc_freqs, size)

    rng = random.Random(args.seed)
    titles = [a.title for a in background if len(words(a.title)) >= 3]
    topics: list[str] = []
    while len(topics) < args.topics:
        title_words = rng.choice(titles).split()
        n = rng.choice((1, 1, 2, 2, 3))
        start = rng.randrange(max(1, len(title_words) - n + 1))
        text = " ".join(title_words[start : start + n])
        if topic_terms(text):
            topics.append(text)

    build_times, match_times, matched = [], [], 0
    for _ in range(args.repeats):
        started = time.perf_counter()
        index: TopicIndex[int] = TopicIndex()
        for key, text in enumerate(topics):
            index.add(key, text)
        build_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        matched = 0
        for article, tokens in zip(new, new_tokens, strict=True):
            matched += len(index.match(article.sentences, weight, tokens))
        match_times.append(time.perf_counter() - started)

    terms = [topic_terms(t) for t in topics]
    totals = [sum(weight(t) for t in topic) for topic in terms]
    loop_articles = new_tokens[: args.loop_articles]
    started = time.perf_counter()
    for tokens in loop_articles:
        present = {t for sentence in tokens for t in sentence}
        sum(
            1 for topic, total in zip(terms, totals, strict=True)
            if sum(weight(t) for t in topic if t in present) >= 0.7 * total
        )
    loop_s = time.perf_counter() - started

    day = articles[: args.day]
    texts = [StoryText(a.title, a.sentences[0] if a.sentences else "") for a in day]
    story_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        groups = group_stories(texts)
        story_times.append(time.perf_counter() - started)
    told_by_several = sum(1 for g in groups if len({day[i].source for i in g}) > 1)

    match_s = statistics.median(match_times)
    sentences = sum(len(a.sentences) for a in new)
    print(f"{len(topics):,} topics ({len(set(topics)):,} distinct), {len(new):,} new articles "
          f"({sentences:,} sentences), idf from {len(background):,} background articles; median of {args.repeats}")
    print(f"index build       {statistics.median(build_times) * 1000:8.1f} ms")
    print(f"analysis          {analysis_s:8.2f} s   {len(new) / analysis_s:8.1f} articles/s (once per article)")
    print(f"match             {match_s:8.2f} s   {len(new) / match_s:8.1f} articles/s   "
          f"{match_s / len(new) * 1000:.2f} ms/article")
    print(f"matches           {matched:,} ({matched / len(new):.2f} per article)")
    print(f"stories           {statistics.median(story_times):8.2f} s   {len(day):,} articles -> {len(groups):,} stories "
          f"({told_by_several} told by several outlets)")
    print(f"loop over topics  {loop_s / len(loop_articles) * 1000:8.2f} ms/article   "
          f"{len(loop_articles) / loop_s:8.1f} articles/s (first test only, {len(loop_articles)} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
