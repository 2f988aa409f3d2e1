"""In a group only its administrators (as Telegram reports them) change the group's subscription."""

from __future__ import annotations

import time

import pytest

from bot.settings import Settings
from bot.telegram import texts
from bot.testing.fake_telegram import BOT_ID, BOT_USERNAME
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


# A message sent on behalf of another chat: a member (or even an administrator) posting in the group as
# their own channel. Telegram then fills `from` with a placeholder (Channel_Bot); a client could name the
# real user, so both are tried: neither may change what the group receives.
OTHER_CHANNEL = {"id": -1009001, "type": "channel", "title": "My channel", "username": "my_channel"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
AS_CHANNEL = [pytest.param(CHANNEL_BOT, id="from Channel_Bot"), pytest.param(Harness.user(ADMIN), id="from an admin")]


async def as_channel(harness: Harness, text: str, sender: dict) -> list:
    return await harness.send_text(text, GROUP, chat_type="supergroup", sender_chat=OTHER_CHANNEL, **{"from": sender})


async def by_admin(harness: Harness, text: str) -> None:
    await harness.send_text(text, GROUP, chat_type="supergroup", user_id=ADMIN)


@pytest.mark.parametrize("sender", AS_CHANNEL)
async def test_a_message_sent_as_another_channel_cannot_subscribe_the_group(harness: Harness, sender: dict) -> None:
    harness.request.admins[GROUP] = {ADMIN}
    calls = await as_channel(harness, "/subscribe", sender)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.is_subscribed(GROUP)
    assert not any(c.reply_markup for c in calls)  # no plan buttons either
    calls = await as_channel(harness, "/subscribe every 6", sender)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.is_subscribed(GROUP)


@pytest.mark.parametrize("sender", AS_CHANNEL)
async def test_a_message_sent_as_another_channel_cannot_unsubscribe_the_group(harness: Harness, sender: dict) -> None:
    harness.request.admins[GROUP] = {ADMIN}
    await by_admin(harness, "/subscribe")
    assert await harness.service.is_subscribed(GROUP)
    calls = await as_channel(harness, "/unsubscribe", sender)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and await harness.service.is_subscribed(GROUP)


@pytest.mark.parametrize("sender", AS_CHANNEL)
async def test_a_message_sent_as_another_channel_cannot_follow_or_unfollow(harness: Harness, sender: dict) -> None:
    harness.request.admins[GROUP] = {ADMIN}
    calls = await as_channel(harness, "/follow أسعار النفط", sender)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.following(GROUP)
    await by_admin(harness, "/follow أسعار النفط")
    calls = await as_channel(harness, "/unfollow أسعار النفط", sender)
    assert said(calls, texts.GROUP_ADMINS_ONLY) and len(await harness.service.following(GROUP)) == 1


async def test_the_groups_linked_channel_does_not_speak_for_the_group(harness: Harness) -> None:
    """A post of the group's linked channel arrives in the group as an automatic forward, from Telegram."""
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    calls = await harness.send_text("/subscribe", GROUP, chat_type="supergroup", sender_chat=OTHER_CHANNEL,
                                    is_automatic_forward=True, **{"from": telegram})
    assert said(calls, texts.GROUP_ADMINS_ONLY) and not await harness.service.is_subscribed(GROUP)


@pytest.mark.parametrize("sender", AS_CHANNEL)
async def test_channel_command_sent_as_a_channel_is_nobodys(bot_settings: Settings, sender: dict) -> None:
    """/channel is for the bot's admins (NEWSBOT_ADMIN_IDS): a message on behalf of a chat is not one of them,
    whatever its `from` says, in a group or in the channel's own discussion."""
    settings = bot_settings.model_copy(update={"admin_ids": [ADMIN]})
    async with Harness(settings) as harness:
        harness.request.add_channel("@news_all", -1001000000001, "كل الأخبار")
        calls = await as_channel(harness, "/channel @news_all all", sender)
        assert said(calls, texts.ADMINS_ONLY)
        assert not [c for c in harness.request.calls if c.method in ("getChat", "getChatMember")]
        assert not await harness.service.is_subscribed(-1001000000001)
        # The admin writing as themself may.
        await by_admin(harness, "/channel @news_all all")
        assert await harness.service.is_subscribed(-1001000000001)


async def press_under(harness: Harness, data: str, user_id: int, command_sender_chat: dict) -> list:
    """A button of a keyboard the bot sent in the group in answer to a message sent as `command_sender_chat`."""
    command = {"message_id": 50, "date": int(time.time()), "chat": harness.chat(GROUP, "supergroup"),
               "sender_chat": command_sender_chat, "from": CHANNEL_BOT, "text": "/subscribe"}
    keyboard = {"message_id": 51, "date": int(time.time()), "chat": harness.chat(GROUP, "supergroup"),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot", "username": BOT_USERNAME},
                "text": "…", "reply_to_message": command}
    query = {"id": f"q{data}{user_id}", "from": harness.user(user_id), "chat_instance": "ci", "data": data,
             "message": keyboard}
    return await harness._run({"callback_query": query}, GROUP)


@pytest.mark.parametrize("command_sender", [pytest.param(OTHER_CHANNEL, id="another channel"),
                                            pytest.param(Harness.chat(GROUP, "supergroup"), id="the group")])
async def test_buttons_are_judged_by_who_presses_them(harness: Harness, command_sender: dict) -> None:
    """A button press always names the user who pressed it, never a chat: under a keyboard that answered a
    message sent as a channel or as the group, a member is refused the digest-plan and unfollow buttons."""
    harness.request.admins[GROUP] = {ADMIN}
    await by_admin(harness, "/subscribe")
    await by_admin(harness, "/follow أسعار النفط")
    [topic] = await harness.service.following(GROUP)

    for data in ("plan:every:6", f"unf:{topic.id}", "unsub"):
        calls = await press_under(harness, data, MEMBER, command_sender)
        [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answer.params["text"] == texts.GROUP_ADMINS_ONLY, data
    assert (await harness.service.plan(GROUP)).digest is None and await harness.service.is_subscribed(GROUP)
    assert len(await harness.service.following(GROUP)) == 1

    await press_under(harness, "plan:every:6", ADMIN, command_sender)
    await press_under(harness, f"unf:{topic.id}", ADMIN, command_sender)
    assert (await harness.service.plan(GROUP)).digest is not None and not await harness.service.following(GROUP)
