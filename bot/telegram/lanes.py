"""One lane per chat for a run of pushes: a chat waiting out its flood limit steps aside.

A run sends its pushes one at a time, in order. When Telegram tells one chat to wait (a 429 with
retry_after), only that chat waits: its push goes on waiting in the background (its lane) and the run
moves on to the other chats; any later push to the same chat in the run queues behind it, so each chat
still gets its messages in order. The run joins the lanes before it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# A push given `step_aside`: it calls it just before a flood wait, and from then on runs in its lane.
Push = Callable[[Callable[[], None]], Awaitable[None]]


class ChatLanes:
    def __init__(self) -> None:
        self._lanes: dict[int, asyncio.Task[None]] = {}

    def busy(self) -> bool:
        """Whether some chat has a push waiting aside."""
        return any(not lane.done() for lane in self._lanes.values())

    async def settle(self, timeout: float) -> None:
        """Wait until no push waits aside, or `timeout` seconds."""
        lanes = [lane for lane in self._lanes.values() if not lane.done()]
        if lanes:
            await asyncio.wait(lanes, timeout=timeout)

    async def send(self, chat_id: int, push: Push) -> None:
        """Run `push` now, or behind the chat's lane when it has one. Returns once the push is done or
        has stepped aside; its errors are raised then or by `join`."""
        lane = self._lanes.get(chat_id)
        if lane is not None:
            if not lane.done():
                self._lanes[chat_id] = asyncio.ensure_future(_after(lane, push))
                return
            del self._lanes[chat_id]
            lane.result()  # an error of the chat's earlier push: raised now
        aside = asyncio.Event()
        task = asyncio.ensure_future(push(aside.set))
        stepped = asyncio.ensure_future(aside.wait())
        try:
            await asyncio.wait({task, stepped}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            stepped.cancel()
        if task.done():
            task.result()
        else:
            self._lanes[chat_id] = task

    async def join(self) -> None:
        """Wait for every push still in a lane; the first error among them is raised."""
        try:
            while lanes := [lane for lane in self._lanes.values() if not lane.done()]:
                await asyncio.wait(lanes)
            for lane in self._lanes.values():
                lane.result()
        finally:
            self.cancel()

    def cancel(self) -> None:
        for lane in self._lanes.values():
            lane.cancel()
        self._lanes.clear()


async def _after(previous: asyncio.Task[None], push: Push) -> None:
    # The chat's earlier push first, whatever became of it (its error is raised by join).
    await asyncio.wait({previous})
    if previous.cancelled() or previous.exception() is not None:
        await previous  # the lane stops with it
    await push(lambda: None)
