"""In a group only its administrators (as Telegram reports them) change the group's subscription."""

from __future__ import annotations

from bot.telegram import texts
from bot.testing.harness import Harness

GROUP = -2001
ADMIN, MEMBER = 7, 8


def said(calls: list, text: str) -> bool:
    return any(c.method == "sendMessage" and c.text == text for c in calls)


async def test_only_group_admins_change_the_subscription(harness: Harness) -> None:
    harness.request.admins[GROUP] = {ADMIN}
    calls = await harness.send_text("/subscribe", GROUP, chat_type="group", user_id=MEMBER)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.is_subscribed(GROUP)
    [check] = [c for c in harness.request.calls if c.method == "getChatMember"]
    assert (int(check.params["chat_id"]), int(check.params["user_id"])) == (GROUP, MEMBER)

    assert said(await harness.send_text("/subscribe", GROUP, chat_type="supergroup", user_id=ADMIN), texts.SUBSCRIBED)
    assert await harness.service.is_subscribed(GROUP)
    calls = await harness.send_text("/unsubscribe", GROUP, chat_type="group", user_id=MEMBER)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and await harness.service.is_subscribed(GROUP)
    assert said(await harness.send_text("/unsubscribe", GROUP, chat_type="group", user_id=ADMIN), texts.UNSUBSCRIBED)
    assert not await harness.service.is_subscribed(GROUP)


async def test_anonymous_admin_writing_as_the_group_may_subscribe_it(harness: Harness) -> None:
    group = harness.chat(GROUP, "supergroup")
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    calls = await harness.send_text("/subscribe", GROUP, chat_type="supergroup", sender_chat=group, **{"from": anonymous})
    assert said(calls, texts.SUBSCRIBED) and await harness.service.is_subscribed(GROUP)


async def test_the_button_in_a_group_is_for_admins_too(harness: Harness) -> None:
    harness.request.admins[GROUP] = {ADMIN}
    calls = await harness.press_button("sub", GROUP, chat_type="group", user_id=MEMBER)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == texts.GROUP_ADMINS_ONLY and answer.params["show_alert"] in (True, "true")
    assert not await harness.service.is_subscribed(GROUP)
    await harness.press_button("sub", GROUP, chat_type="group", user_id=ADMIN)
    assert await harness.service.is_subscribed(GROUP)


async def test_private_chats_need_no_check_and_unknown_members_are_refused(harness: Harness) -> None:
    assert said(await harness.send_text("/subscribe", 1001), texts.SUBSCRIBED)
    assert not [c for c in harness.request.calls if c.method == "getChatMember"]
    harness.request.fail("getChatMember", "400", description="Bad Request: user not found")
    calls = await harness.send_text("/subscribe", GROUP, chat_type="group", user_id=MEMBER)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.is_subscribed(GROUP)


async def test_topics_and_plans_of_a_group_are_for_its_admins_too(harness: Harness) -> None:
    """Following a topic or switching to a digest changes what the whole group receives, like /subscribe."""
    harness.request.admins[GROUP] = {ADMIN}
    calls = await harness.send_text("/follow أسعار النفط", GROUP, chat_type="group", user_id=MEMBER)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.following(GROUP)
    await harness.send_text("/follow أسعار النفط", GROUP, chat_type="group", user_id=ADMIN)
    [topic] = await harness.service.following(GROUP)

    calls = await harness.send_text("/unfollow أسعار النفط", GROUP, chat_type="group", user_id=MEMBER)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and len(await harness.service.following(GROUP)) == 1
    calls = await harness.press_button(f"unf:{topic.id}", GROUP, chat_type="group", user_id=MEMBER)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == texts.GROUP_ADMINS_ONLY and len(await harness.service.following(GROUP)) == 1

    await harness.send_text("/subscribe", GROUP, chat_type="group", user_id=ADMIN)
    calls = await harness.press_button("plan:every:6", GROUP, chat_type="group", user_id=MEMBER)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == texts.GROUP_ADMINS_ONLY
    assert (await harness.service.plan(GROUP)).digest is None  # still every article
    await harness.press_button("plan:every:6", GROUP, chat_type="group", user_id=ADMIN)
    assert (await harness.service.plan(GROUP)).digest is not None
