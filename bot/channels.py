"""Collections per channel: which collection answers where, and how (`[[collections]]` and `[[channels]]`).

A front end asks `Collections.where(...)` with the place a question came from (a Slack channel, a Discord guild and
channel, or none) and gets the collection that answers there and the channel's rules: who sees /ask answers, and
whether mentions and follow-ups are answered. A Discord channel's entry wins over its guild's; a place no entry
maps gets the default collection ([corpus]) and the platform's own settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answering import AnswerService
from bot.config import DEFAULT_COLLECTION, ChannelSection, Config, CorpusAbout

Platform = Literal["slack", "discord"]


@dataclass(frozen=True)
class Collection:
    """One collection as a front end uses it: its name, its answer service and what its help card says."""

    name: str
    service: AnswerService
    about: CorpusAbout


@dataclass(frozen=True)
class Placement:
    """Where a question was asked, resolved: the collection that answers, and the channel's rules."""

    collection: Collection
    public: bool | None = None  # None: the platform's own default ([slack] visibility, [discord] private_by_default)
    mentions: bool = True
    follow_ups: bool = True


class Collections:
    """Every collection of one front end, and the `[[channels]]` that map places to them."""

    def __init__(self, collections: Mapping[str, Collection], channels: Sequence[ChannelSection] = ()) -> None:
        if DEFAULT_COLLECTION not in collections:
            raise ValueError("the default collection is always there")
        self.by_name = dict(collections)
        self.channels = list(channels)

    @classmethod
    def single(cls, service: AnswerService, about: CorpusAbout | None = None) -> Collections:
        """Just the default collection, answered from `service` everywhere."""
        return cls({DEFAULT_COLLECTION: Collection(DEFAULT_COLLECTION, service, about or CorpusAbout())})

    @classmethod
    def from_config(cls, config: Config, services: Mapping[str, AnswerService]) -> Collections:
        """The configured collections over `services` (one per collection name, see answering.bot_services)."""
        collections = {
            name: Collection(name, services[name], config.collection(name).about) for name in config.collection_names
        }
        return cls(collections, config.channels)

    @property
    def default(self) -> Collection:
        return self.by_name[DEFAULT_COLLECTION]

    def for_front_end(self, top_k: int | None) -> Collections:
        """The same collections with services of one front end's own (its top_k; see AnswerService.for_front_end)."""
        collections = {
            name: Collection(name, collection.service.for_front_end(top_k), collection.about)
            for name, collection in self.by_name.items()
        }
        return Collections(collections, self.channels)

    def where(self, platform: Platform, channel: str | None, guild: str | None = None) -> Placement:
        """The collection and rules for a question asked in `channel` (of `guild`, on Discord); a DM is a channel
        too, so a DM channel can be mapped; anything unmapped gets the default collection."""
        entry = self._entry(platform, channel, guild)
        if entry is None:
            return Placement(self.default)
        public = None if entry.visibility is None else entry.visibility == "public"
        return Placement(self.by_name[entry.collection], public, entry.mentions, entry.follow_ups)

    def _entry(self, platform: Platform, channel: str | None, guild: str | None) -> ChannelSection | None:
        for entry in self.channels:
            if platform == "slack" and channel is not None and entry.slack_channel == channel:
                return entry
            if platform == "discord" and channel is not None and str(entry.discord_channel) == channel:
                return entry
        for entry in self.channels:
            if platform == "discord" and guild is not None and str(entry.discord_guild) == guild:
                return entry
        return None
