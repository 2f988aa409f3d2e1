"""`newsbot run` following a loopback feed whose article pages name a picture (og:image): the subscribed
chat gets sendPhoto with the title and link in the caption; an article without a picture, and one whose
picture the Bot API refuses, arrive as text, each once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from feedserver import FeedServer
from newspages import pages, rss

from tests.botapi_server import BotAPIServer
from tests.test_bot_e2e import run_env, stop, wait_for

CHAT = 780
USER = {"id": CHAT, "is_bot": False, "first_name": "Test"}


def test_newsbot_run_pushes_feed_articles_with_their_pictures(tmp_path: Path) -> None:
    feeds = FeedServer()
    feeds.start()
    try:
        # The feed is empty until the chat has subscribed (a new subscriber gets no back catalogue).
        feeds.routes["/pics.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(feeds.base, []))
        items = pages([feeds.url("/img/lead.jpg"), None, feeds.url("/img/page.html")])
        for item in items:
            feeds.routes[item.path] = (200, {"Content-Type": "text/html; charset=utf-8"}, item.body)
        with_picture, without, refused = items
        with BotAPIServer() as api:
            api.photo_refusals[feeds.url("/img/page.html")] = "Bad Request: wrong type of the web page content"
            api.updates.append({"update_id": 1, "message": {
                "message_id": 1, "date": int(time.time()), "text": "/subscribe",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
                "chat": {"id": CHAT, "type": "private", "first_name": "Test"}, "from": USER}})
            env = run_env(api, tmp_path, NEWSBOT_FEEDS=json.dumps([feeds.url("/pics.xml")]), NEWSBOT_FEED_SECONDS="1",
                          NEWSBOT_REFRESH_SECONDS="0.5", NEWSBOT_FETCH_TIMEOUT="5")
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                subscribed = wait_for(lambda: any("تم الاشتراك" in p.get("text", "") for p in api.sent()))
                feeds.routes["/pics.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(feeds.base, items))

                def texts() -> list[str]:
                    return [p.get("text", "") for p in api.sent()]

                def arrived() -> bool:
                    return (any(with_picture.title in p.get("caption", "") for p in api.calls_to("sendPhoto"))
                            and any(without.title in t for t in texts()) and any(refused.title in t for t in texts()))

                pushed = wait_for(arrived)
                time.sleep(3)  # a few more feed and delivery rounds: nothing may come twice
            finally:
                output = stop(proc)
    finally:
        feeds.close()
    assert subscribed and pushed, output[-3000:]
    photos = api.calls_to("sendPhoto")
    [photo] = [p for p in photos if p["photo"] == feeds.url("/img/lead.jpg")]
    assert photo["chat_id"] == str(CHAT) and photo["parse_mode"] == "HTML"
    assert with_picture.title in photo["caption"] and f'href="{feeds.url(with_picture.path)}"' in photo["caption"]
    # The refused picture was tried once, then the text went; the page without one went as text.
    assert sorted(p["photo"] for p in photos) == [feeds.url("/img/lead.jpg"), feeds.url("/img/page.html")]
    sent = [p["text"] for p in api.sent()]
    assert sum(without.title in t for t in sent) == 1 and sum(refused.title in t for t in sent) == 1
    assert not any(with_picture.title in t for t in sent)
    assert "Telegram refused a picture" in output
