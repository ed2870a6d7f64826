"""Slack messages from an `Answer`: Block Kit with quoted passages, bold matched terms and cited sources.

Pure functions, no SDK: everything taken from documents or users is escaped here, once, so no quote or
question can become a mention, a link or an @channel/@here/@everyone ping, and every payload stays inside
Slack's limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from bot.rendering import (
    ELLIPSIS,
    FEEDBACK_LABEL,
    FEEDBACK_MAX_CHARS,
    FEEDBACK_PLACEHOLDER,
    FEEDBACK_TITLE,
    MORE_LABEL,
    SHARE_LABEL,
    VOTE_DOWN_LABEL,
    VOTE_UP_LABEL,
    HelpCard,
    Page,
    back_to_word_boundary,
    echoed_question,
    following_up_line,
    longest_fitting,
    merged_runs,
    not_found_note,
    notification_line,
    quote_link,
    quote_number,
    source_label,
)
from retrieval.answers import Answer, Quote

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
FALLBACK_TEXT_LIMIT = 40_000
LABEL_CHARS = 400
VOTE_ACTION_IDS = {True: "citebot_vote_up", False: "citebot_vote_down"}
FEEDBACK_BLOCK_ID = "citebot_feedback"
FEEDBACK_VIEW_ID = "citebot_feedback"
FEEDBACK_INPUT_ID = "comment"
MORE_ACTION_ID = "citebot_more"
SHARE_ACTION_ID = "citebot_share"
ANSWER_ACTIONS_BLOCK_ID = "citebot_answer"

Block = dict[str, Any]


class SlackMessage(TypedDict):
    """What `chat.postMessage` and `respond()` take: blocks, and the `text` fallback for notifications."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack's three control characters as entities: `<` can never open a mention, link or ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_answer(
    answer: Answer,
    *,
    first_number: int = 1,
    following_up_on: str | None = None,
    heading: str | None = None,
    echo: bool = True,
) -> SlackMessage:
    """The reply to a question: its quotes with their sources, or the friendly 'not in the documents'. Quotes
    are numbered from `first_number` ("more" continues the count); `following_up_on` is the earlier question
    this one was asked with; `heading` (trusted mrkdwn, e.g. who shared it) goes on top. Without `echo` the
    question is not repeated (Slack already shows it: a slash command answered in the channel)."""
    if not answer.answered or not answer.quotes:
        return render_abstention(answer)
    question = escape(echoed_question(answer))
    blocks: list[Block] = [_context(heading)] if heading else []
    if following_up_on:
        blocks.append(_context(escape(following_up_line(following_up_on))))
    blocks.append(_section(f"*From the documents:* {question}" if echo else "*From the documents:*"))
    # room for the heading, "following up", the hidden count and two rows of buttons
    shown = answer.quotes[: (MESSAGE_BLOCK_LIMIT - 6) // 2]
    for number, quote in enumerate(shown, start=first_number):
        blocks.append(_section(quote_mrkdwn(quote)))
        blocks.append(_context(f"{quote_number(number)} {source_mrkdwn(quote)}"))
    hidden = len(answer.quotes) - len(shown)
    if hidden:
        blocks.append(_context(f"{hidden} more passage{'s' if hidden > 1 else ''} not shown."))
    return {"text": _fallback_text(question, shown, hidden), "blocks": blocks}


def render_abstention(answer: Answer) -> SlackMessage:
    """No quotes: the answer's note (why), with the question echoed so a channel knows what was asked."""
    note = escape(not_found_note(answer))
    blocks = [_section(_clip(note, SECTION_TEXT_LIMIT))]
    question = echoed_question(answer)
    if question:
        blocks.append(_context(f"Asked: {escape(question)}"))
    return {"text": _clip(note, FALLBACK_TEXT_LIMIT), "blocks": blocks}


def render_help(card: HelpCard) -> SlackMessage:
    """The help card as blocks: what citebot does, how to ask, what the documents cover, examples, who sees."""
    blocks = [
        _section(f"*citebot* — {escape(card.about)}"),
        _section("*Ways to ask*\n" + "\n".join(f"• {escape(way)}" for way in card.ways)),
        _section(_clip(f"*The documents:* {escape(card.covers)}", SECTION_TEXT_LIMIT)),
    ]
    if card.examples:
        tries = "\n".join(f"• {escape(example)}" for example in card.examples)
        blocks.append(_section(_clip(f"*Try asking*\n{tries}", SECTION_TEXT_LIMIT)))
    blocks.append(_context(escape(card.who_sees)))
    return {"text": f"citebot — {escape(card.about)}", "blocks": blocks}


def home_view(card: HelpCard) -> dict[str, Any]:
    """The App Home tab: the same card."""
    return {"type": "home", "blocks": render_help(card)["blocks"]}


def render_notice(mrkdwn: str) -> SlackMessage:
    """A one-section message from trusted text (our own wording; escape anything else before passing it)."""
    return {"text": mrkdwn, "blocks": [_section(mrkdwn)]}


def delivery_failure_notice(error_code: str) -> SlackMessage:
    """Tells the asker, privately, why the answer did not appear and what to do about it."""
    hints = {
        "not_in_channel": "I'm not a member of this channel: invite me with `/invite` and ask again.",
        "channel_not_found": "I can't see this conversation: invite me or send me a direct message.",
        "is_archived": "This channel is archived, so I can't post here.",
        "msg_too_long": "The answer was too long for Slack.",
        "ratelimited": "Slack asked me to slow down: please ask again in a minute.",
    }
    hint = hints.get(error_code, "Please try again, or send me a direct message.")
    return render_notice(f"Sorry, Slack didn't let me post the answer (`{escape(error_code)}`). {hint}")


def quote_mrkdwn(quote: Quote, limit: int = SECTION_TEXT_LIMIT) -> str:
    """The quote as a mrkdwn block quote, matched terms in bold, cut to `limit` without breaking markup."""
    full = _quote_lines(quote.text, quote)
    if len(full) <= limit:
        return full
    return _fitting_prefix(quote.text, lambda prefix: _quote_lines(prefix, quote), limit)


def source_mrkdwn(quote: Quote) -> str:
    """'Title › Section', linked when the quote has a link (see bot.rendering)."""
    label = escape(_clip_plain(source_label(quote), LABEL_CHARS))
    link = quote_link(quote)
    return label if link is None else f"<{link.replace('&', '&amp;')}|{label}>"


def _quote_lines(text: str, quote: Quote) -> str:
    """Renders `text` (the quote or a prefix of it) with the quote's highlights that fall inside it."""
    lines = [""]
    for piece, bold in merged_runs(quote, len(text)):
        for index, part in enumerate(piece.split("\n")):
            if index:
                lines.append("")
            lines[-1] += _bold(part) if bold else escape(part)
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _bold(text: str) -> str:
    """Slack only bolds `*x*` with no space just inside the stars, so edge spaces go outside."""
    core = text.strip()
    if not core:
        return text
    start = text.index(core)
    return f"{text[:start]}*{escape(core)}*{text[start + len(core) :]}"


def _fitting_prefix(text: str, render: Callable[[str], str], limit: int) -> str:
    """The longest prefix of `text` whose rendering plus an ellipsis fits in `limit`; cut before
    escaping, so no entity or bold pair is ever split."""
    chars = longest_fitting(len(text), lambda n: len(render(text[:n])) + len(ELLIPSIS) <= limit)
    return render(text[: back_to_word_boundary(text, chars)].rstrip()) + ELLIPSIS


def _clip(escaped: str, limit: int) -> str:
    """Cuts already-escaped text without splitting an `&amp;`-style entity."""
    if len(escaped) <= limit:
        return escaped
    cut = limit - len(ELLIPSIS)
    entity = escaped.rfind("&", max(0, cut - 4), cut)
    if entity != -1 and ";" not in escaped[entity:cut]:
        cut = entity
    return escaped[:cut] + ELLIPSIS


def _clip_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _fallback_text(question: str, quotes: list[Quote], hidden: int) -> str:
    """Plain text for notifications and clients without blocks, within Slack's 40,000 characters: it leads with
    the first quote and its title (what a phone shows), then every quote with its source."""
    parts = [escape(notification_line(quotes[0])), f"From the documents: {question}"]
    used = sum(len(part) + 2 for part in parts)
    for quote in quotes:
        part = f"{_clip(escape(quote.text), SECTION_TEXT_LIMIT)}\n— {source_mrkdwn(quote)}"
        if used + len(part) + 2 > FALLBACK_TEXT_LIMIT - 100:
            hidden += 1
            continue
        parts.append(part)
        used += len(part) + 2
    if hidden:
        parts.append(f"({hidden} more not shown)")
    return "\n\n".join(parts)


def _section(mrkdwn: str) -> Block:
    # verbatim: Slack must not turn names, channels or URLs in the text into links or mentions
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn, "verbatim": True}]}


def render_page(
    page: Page, answer_id: str | None, *, share: bool, heading: str | None = None, echo: bool = True
) -> SlackMessage:
    """One reply in a conversation (see bot.followups.Page): numbered from where the last one stopped, with
    "More quotes" and, when `share`, "Share in channel" under its quotes, and 👍/👎 when it was recorded."""
    answer = page.answer
    message = render_answer(
        answer, first_number=page.first_number, following_up_on=page.following_up_on, heading=heading, echo=echo
    )
    if page.exchange and answer.answered and answer.quotes:
        message = with_answer_buttons(message, page.exchange, more=page.more, share=share)
    return message if answer_id is None else with_vote_buttons(message, answer_id)


def with_answer_buttons(message: SlackMessage, exchange_id: str, *, more: bool, share: bool) -> SlackMessage:
    """The answer with "More quotes" (when more may follow) and "Share in channel" (on a private answer) under
    it; each carries the exchange's id, which the click hands back."""
    labels = ([(MORE_ACTION_ID, MORE_LABEL)] if more else []) + ([(SHARE_ACTION_ID, SHARE_LABEL)] if share else [])
    if not labels:
        return message
    buttons = [
        {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": label}, "value": exchange_id}
        for action, label in labels
    ]
    actions: Block = {"type": "actions", "block_id": ANSWER_ACTIONS_BLOCK_ID, "elements": buttons}
    return {"text": message["text"], "blocks": [*message["blocks"][: MESSAGE_BLOCK_LIMIT - 2], actions]}


def with_vote_buttons(message: SlackMessage, answer_id: str) -> SlackMessage:
    """The answer with 👍/👎 buttons under it; each carries the answer id (plain text: nothing can ping)."""
    buttons = [
        {
            "type": "button",
            "action_id": VOTE_ACTION_IDS[up],
            "text": {"type": "plain_text", "text": VOTE_UP_LABEL if up else VOTE_DOWN_LABEL, "emoji": True},
            "value": answer_id,
        }
        for up in (True, False)
    ]
    actions: Block = {"type": "actions", "block_id": FEEDBACK_BLOCK_ID, "elements": buttons}
    return {"text": message["text"], "blocks": [*message["blocks"][: MESSAGE_BLOCK_LIMIT - 1], actions]}


def feedback_modal(answer_id: str) -> dict[str, Any]:
    """After a 👎: one optional text field, saying what was wrong; the answer id rides in private_metadata."""
    return {
        "type": "modal",
        "callback_id": FEEDBACK_VIEW_ID,
        "private_metadata": answer_id,
        "title": {"type": "plain_text", "text": FEEDBACK_TITLE},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": FEEDBACK_INPUT_ID,
                "optional": True,
                "label": {"type": "plain_text", "text": FEEDBACK_LABEL},
                "element": {
                    "type": "plain_text_input",
                    "action_id": FEEDBACK_INPUT_ID,
                    "multiline": True,
                    "max_length": FEEDBACK_MAX_CHARS,
                    "placeholder": {"type": "plain_text", "text": FEEDBACK_PLACEHOLDER},
                },
            }
        ],
    }


def feedback_comment(view: dict[str, Any]) -> str:
    """The text typed into the feedback modal ("" when left empty)."""
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(FEEDBACK_INPUT_ID) or {}).get(FEEDBACK_INPUT_ID) or {}).get("value") or "")
