"""Questions out of Slack's message format: mentions, links and entities back to the words a person typed."""

from __future__ import annotations

import re

USER_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^<>]*)?>")
SPECIAL_MENTION = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")
CHANNEL_LINK = re.compile(r"<#[A-Z0-9]+(?:\|([^<>]*))?>")
LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain_question(slack_text: str) -> str:
    """The question in plain words: user mentions (the bot's included) and pings dropped, channel and link
    markup reduced to what the user sees, `&amp;`/`&lt;`/`&gt;` decoded, whitespace collapsed.

    Decoding matters: the renderer escapes the echoed question again, exactly once.
    """
    text = USER_MENTION.sub(" ", slack_text)
    text = SPECIAL_MENTION.sub(lambda match: match.group(2) or " ", text)
    text = CHANNEL_LINK.sub(lambda match: "#" + (match.group(1) or "channel"), text)
    text = LINK.sub(lambda match: match.group(2) or match.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
