"""The one answer service every front end shares: who gets answered, and answers off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.config import Config
from retrieval.answers import Answer
from retrieval.retriever import Retriever


@dataclass(frozen=True)
class Incoming:
    """A chat message reduced to what decides whether citebot answers it."""

    text: str
    author_id: str
    author_is_bot: bool = False


class AnswerService:
    """Wraps the synchronous retriever for async adapters; keeps the no-loops rule in one place."""

    def __init__(self, retriever: Retriever, top_k: int | None = None) -> None:
        self.retriever = retriever
        self.top_k = top_k

    @staticmethod
    def should_answer(message: Incoming, bot_user_id: str | None) -> bool:
        """Never answer a bot, least of all ourselves: two bots answering each other never stop."""
        if message.author_is_bot:
            return False
        return bot_user_id is None or message.author_id != bot_user_id

    async def answer(self, question: str, top_k: int | None = None) -> Answer:
        """Retrieval runs in a worker thread so heartbeats, acks and other questions never wait on it."""
        return await asyncio.to_thread(self.retriever.ask, question, top_k or self.top_k)


def open_retriever(config: Config, *, rebuild: bool = False) -> Retriever:
    """The retriever for the configured corpus (raises CorpusError with a one-line reason)."""
    return Retriever.open(
        config.corpus_dir,
        config.retrieval,
        config.corpus.index_path,
        rebuild=rebuild,
        follow_symlinks=config.corpus.follow_symlinks,
    )


def open_service(config: Config, top_k: int | None = None) -> AnswerService:
    return AnswerService(open_retriever(config), top_k)
