"""Pushing new articles to subscribed chats, once each, surviving rate limits, blocks and crashes.

Each delivery is claimed (recorded SENDING, with this worker's name and a lease) before the send and
recorded SENT (or FAILED/BLOCKED) after it, and a run works through whatever the database says is
still owed. So a crash or restart mid-broadcast resumes where it stopped: nobody is skipped, and only
the one message in flight at the crash can go out twice. Several workers sharing a database each
claim pairs before sending them, so none is sent by two; a dead worker's claim is taken over once its
lease (NEWSBOT_DELIVERY_LEASE_SECONDS) runs out. Sends are sequential within a worker; the rate
limiter keeps them within Telegram's limits. A chat told to wait (429) waits alone: its push steps
aside into that chat's lane (bot/telegram/lanes.py) and the run goes on with the other chats.

A run holds the delivery lock, so nothing in it may wait without bound: flood waits (429) are capped
in number and in total time, after which the delivery is postponed to the next run; and a run stops
between two sends as soon as the service is stopping (SIGTERM), leaving the rest for the next start
(a restarted worker takes its own claims back at once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial

from telegram import Bot

from bot.core.service import NewsService
from bot.storage import FAILED, SENT, Delivery
from bot.telegram import render
from bot.telegram.render import PhotoPost
from bot.telegram.alerts import deliver_topic_pushes
from bot.telegram.digests import deliver_digests
from bot.telegram.lanes import ChatLanes
from bot.telegram.sending import Pushed, push

log = logging.getLogger(__name__)

# An article's push, rendered once per run: the text pieces, and the photo variant when it has a picture.
Rendered = tuple[list[str], PhotoPost | None]

# Deliveries claimed at a time: few, so that a worker that dies strands few until its lease runs out.
CLAIM_BATCH = 10
MAX_LOST_RACES = 100
# With nothing left to claim but chats waiting out a flood limit, look for new claims this often.
LANE_POLL_SECONDS = 1.0


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0
    new_articles: int = 0
    skipped: int = 0  # claimed pairs not sent after all: unsubscribed meanwhile, or taken over
    stopped: bool = False  # ended early because the service is stopping
    alerts: int = 0  # topic alert messages sent (a bundle of matches is one)
    digests: int = 0


async def deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    """Send every delivery the database says is owed, in article order; one run at a time."""
    async with service.delivery_lock:
        return await _deliver_pending(bot, service)


async def _deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    lanes = ChatLanes()
    try:
        run = await _claim_and_send(bot, service, lanes)
        await lanes.join()  # the chats that were told to wait: their pushes end (sent or postponed)
        return run
    finally:
        lanes.cancel()


async def _claim_and_send(bot: Bot, service: NewsService, lanes: ChatLanes) -> DeliveryRun:
    storage, settings, stopping = service.storage, service.settings, service.stopping
    worker, lease = settings.worker, settings.delivery_lease_seconds
    run = DeliveryRun()
    started = datetime.now(timezone.utc)
    rendered: dict[int, Rendered] = {}
    lost_races = 0
    after = (0, 0)  # the last pair claimed: each claim searches past it
    if service.waiting_from_row is None:
        await count_waiting(service)  # the first run after a start learns where owed pushes begin
    # Every pair of an article below the mark is final, so no claim needs to look there: the database
    # walks every pair from where its search starts, and those below are all the pushes ever made.
    mark = service.waiting_from_row or 0
    while not stopping.is_set():
        # Only articles the index holds (read anew at every claim: a refresh during a long broadcast
        # lets its new articles in), so whoever asks about a push gets the answer.
        upto = service.indexed_row
        batch = await storage.claim_deliveries(
            worker, lease, CLAIM_BATCH, run_started=started, after=after, max_age_days=settings.max_age_days,
            upto_row=upto, from_row=mark)
        if not batch and lanes.busy():
            # Only chats waiting out a flood limit are left: wait for them, looking for new claims
            # (an article just indexed) now and then.
            await lanes.settle(LANE_POLL_SECONDS)
            continue
        if not batch:
            # Other workers may have claimed the very pairs this claim aimed at: claim again while any
            # owed pair is still free (a bounded number of times; the next run picks up the rest, and
            # pairs behind `after` that another worker gave back).
            lost_races += 1
            owed = await storage.pending_deliveries(
                1, settings.max_age_days, worker=worker, since=started, upto_row=upto, from_row=mark)
            if not owed or lost_races > MAX_LOST_RACES:
                return run
            if (owed[0].article_row, owed[0].chat_id) < after:
                after = (0, 0)  # free again behind the cursor (a claim that ran out): go back for it
            continue
        after = (batch[-1].article_row, batch[-1].chat_id)
        for delivery in batch:
            if stopping.is_set():
                break  # the rest of the batch stays claimed by this worker, which takes it back on restart
            await lanes.send(delivery.chat_id, partial(_deliver_one, bot, service, delivery, rendered, run))
    run.stopped = True
    return run


async def _deliver_one(
    bot: Bot, service: NewsService, delivery: Delivery, rendered: dict[int, Rendered], run: DeliveryRun,
    step_aside: Callable[[], None],
) -> None:
    """Send one claimed delivery and record how it went; `step_aside()` before a flood wait."""
    storage, settings = service.storage, service.settings
    worker, lease = settings.worker, settings.delivery_lease_seconds
    row, chat = delivery.article_row, delivery.chat_id
    if chat in run.blocked or not await storage.start_attempt(row, chat, worker, lease):
        # Blocked or unsubscribed since the claim, or the claim ran out and another worker took it over.
        run.skipped += 1
        return
    if row not in rendered:
        article = await storage.article(row)
        rendered[row] = (render.render_push(article), render.push_photo(article)) if article else ([], None)
    pieces, photo = rendered[row]

    async def keep_claims(wait: float) -> None:
        step_aside()  # only this chat waits: the run goes on with the others
        await storage.extend_claims(worker, wait + lease)

    async def photo_refused(reason: str) -> None:
        # Refused for one chat is refused for all: the rest of this run, and every later one, send text.
        rendered[row] = (pieces, None)
        if photo is not None:
            await storage.refuse_image(photo.url, reason)

    outcome, detail = await push(
        bot, chat, pieces, delivery.attempts, stopping=service.stopping, before_wait=keep_claims,
        photo=photo, photo_refused=photo_refused)
    if outcome is Pushed.BLOCKED:
        # Blocked, kicked or deleted: nobody to push to, and nothing to keep about the chat.
        await service.forget_chat(chat)
        run.blocked.append(chat)
    elif outcome is Pushed.POSTPONED:
        # Still SENDING and claimed: this worker's next run (or next start, when stopping) tries again,
        # or another worker once the claim runs out.
        run.postponed += 1
    elif outcome is Pushed.FAILED:
        await storage.record_delivery(row, chat, FAILED, detail)
        run.failed += 1
    else:
        await storage.record_delivery(row, chat, SENT)
        run.sent += 1
    service.metrics.pushed("article", outcome.value)


# newsbot_pushes_waiting counts at most this many (a bounded read; past it the number is "a lot").
WAITING_CAP = 100_000
# Pairs one counting query reads at most: SQLite serves one query at a time, so a long count (the
# first after a start, over every push ever made) goes in slices and questions get their turn between.
WAITING_SLICE_PAIRS = 20_000


async def count_waiting(service: NewsService) -> int:
    """Set newsbot_pushes_waiting: the article pushes still owed; and move the low-water mark
    (`service.waiting_from_row`) to the lowest article that still owes one. The count starts at the
    mark (0 after a start), so it reads the recent pairs, not the whole history.

    Why every pair below the mark stays final: a final state (sent, failed, blocked) is never undone
    and an article never grows young again; a claimed pair (another worker's, or one postponed) is
    not final, so it holds the mark where it is; and a new pair comes only with a new article (above
    the count's `top`) or a new subscription, which starts after the newest article stored when it
    was made (ChatStore.subscribe takes the article writers' lock, so no article stored meanwhile
    can slip below it)."""
    storage, max_age = service.storage, service.settings.max_age_days
    top = await storage.max_article_row()  # before the count: an article stored meanwhile is above it
    step = max(1, WAITING_SLICE_PAIRS // max(1, len(await storage.subscribers())))
    count, lowest, row = 0, None, service.waiting_from_row or 0
    while row <= top and count < WAITING_CAP:
        if service.stopping.is_set():  # a long first count after a start: stop between two slices
            return count
        found, low = await storage.owed_count(row, row + step, max_age, WAITING_CAP - count)
        count, lowest, row = count + found, lowest if lowest is not None else low, row + step
    if count < WAITING_CAP:  # a capped count's lowest row is not the lowest of all
        service.waiting_from_row = lowest if lowest is not None else top + 1
    service.metrics.pushes_waiting.set(count)
    return count


async def refresh_and_deliver(bot: Bot, service: NewsService) -> DeliveryRun:
    new = await service.refresh()
    run = await deliver_pending(bot, service)
    # Topic alerts and digests (bot/telegram/alerts.py, digests.py): one worker at a time, since they
    # are not claimed pair by pair like articles.
    async with service.delivery_lock, service.storage.job_lock("alerts") as mine:
        if mine and not run.stopped:
            await service.match_topics()
            alerts = await deliver_topic_pushes(bot, service)
            digests = await deliver_digests(bot, service)
            run.alerts, run.digests = alerts.sent, digests.sent
            for other in (alerts, digests):
                run.blocked += other.blocked
                run.failed += other.failed
                run.postponed += other.postponed
    run.new_articles = len(new)
    await count_waiting(service)
    if new or run.sent or run.alerts or run.digests or run.failed or run.blocked or run.stopped:
        log.info(
            "refresh: %d new articles; delivered %d, alerts %d, digests %d, failed %d, blocked %d, postponed %d%s",
            run.new_articles, run.sent, run.alerts, run.digests, run.failed, len(run.blocked), run.postponed,
            "; stopping, the rest is left for the next start" if run.stopped else "",
        )
    return run
