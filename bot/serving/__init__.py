"""`citebot serve`: Slack and Discord in one process over one index, with health, metrics and a graceful stop.

Imported only by `citebot serve`; the chat SDKs load only for the front ends it runs.
"""

from __future__ import annotations

from bot.serving.front_ends import FrontEnds, choose_front_ends
from bot.serving.health import Readiness, health_server
from bot.serving.run import run_serve, serve

__all__ = ["FrontEnds", "Readiness", "choose_front_ends", "health_server", "run_serve", "serve"]
