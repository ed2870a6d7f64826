"""`python -m bench.acks`: how long Slack waits for citebot's acknowledgement while heavy questions are being
answered, with answers computed in threads (as before) and in worker processes (now), in one run.

The bot is the real Slack app in HTTP mode, in a process of its own (`python -m bench.acks --serve`). This process
plays Slack: it keeps `--heavy` of the heaviest questions citebot accepts in flight (each one answered is asked
again at once) and meanwhile sends quick `/ask`s one after another, timing each from its POST to the HTTP
acknowledgement (Slack gives up after 3 s) and to its answer at the response_url. The same quick questions are
also timed with nothing else in flight, as the baseline of each mode. The modes take turns, `--rounds` times, so
that whatever else the machine does falls on both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bench.corpora import synthetic_vocabulary, write_synthetic_corpus_dir
from bench.measure import latency_summary
from bench.report import machine_description, table
from bench.run import parse_size, size_label
from retrieval.settings import RetrievalSettings

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
MODES = ("threads", "processes")
LOADS = ("idle", "loaded")
BOT_TOKEN = "xoxb-bench-0000"
SIGNING_SECRET = "bench-signing-secret"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.acks", description=__doc__)
    parser.add_argument("--passages", default="100k", help="synthetic corpus size (default: %(default)s)")
    parser.add_argument("--heavy", type=int, default=8, help="heavy questions kept in flight (default: %(default)s)")
    parser.add_argument("--probes", type=int, default=100, help="quick questions per round (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each mode (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="answer worker processes (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data", help="corpora and indexes")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "acks.md", help="the report")
    parser.add_argument("--serve", metavar="JSON", help=argparse.SUPPRESS)  # the bot's side, run by the driver
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    if args.serve:
        asyncio.run(serve_bot(json.loads(args.serve)))
        return
    passages = parse_size(args.passages)
    corpus_dir = args.data_dir.resolve() / "corpora" / f"synthetic-{passages}"
    progress(f"corpus: {size_label(passages)} synthetic passages in {corpus_dir} (cached)")
    write_synthetic_corpus_dir(corpus_dir, passages)
    spec = {
        "corpus_dir": str(corpus_dir),
        "index_path": str(args.data_dir.resolve() / "indexes" / f"acks-synthetic-{passages}.index"),
        "workers": args.workers,
    }
    questions = Questions.make(args.probes)
    began = time.perf_counter()
    samples = {(mode, load): Samples() for mode in MODES for load in LOADS}
    for round_number in range(1, args.rounds + 1):
        for mode in MODES:
            progress(f"round {round_number} of {args.rounds}: answers in {mode}")
            asyncio.run(measure_mode({**spec, "mode": mode}, questions, args, samples))
    report = render(samples, args, passages, questions, time.perf_counter() - began)
    args.output.write_text(report, encoding="utf-8")
    print(report)


# ------------------------------------------------------------------------------------------- playing Slack


@dataclass(frozen=True)
class Questions:
    """Made once per run: drawing the synthetic vocabulary takes a quarter of a second."""

    heavy: str  # the corpus's commonest words, as many as the longest question accepted holds: most postings
    quick: list[str]  # rare words, a few postings each: answered in a few milliseconds

    @classmethod
    def make(cls, count: int) -> Questions:
        vocabulary = synthetic_vocabulary()
        words = itertools.accumulate(vocabulary, lambda text, word: f"{text} {word}")
        longest = RetrievalSettings().max_question_chars
        heavy = list(itertools.takewhile(lambda text: len(text) <= longest, words))[-1]
        quick = [" ".join(vocabulary[20_000 + 4 * n : 20_004 + 4 * n]) for n in range(count)]
        return cls(heavy, quick)


@dataclass
class SlackSide:
    """Sends signed slash commands to the bot and receives what it posts to the response_urls."""

    bot_url: str = ""
    base_url: str = ""
    session: aiohttp.ClientSession | None = None
    answered: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    async def ask(self, question: str) -> tuple[float, asyncio.Task[float]]:
        """POST /ask; returns the seconds until the HTTP ack, and a task giving the seconds until the answer."""
        assert self.session is not None
        number = str(next(self.ids))
        answered: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.answered[number] = answered
        body = urlencode(
            {
                "command": "/ask",
                "text": question,
                "user_id": "U0BENCH",
                "channel_id": "C0BENCH",
                "team_id": "T0",
                "trigger_id": f"t{number}",
                "response_url": f"{self.base_url}/respond/{number}",
            }
        )
        stamp = str(int(time.time()))
        signature = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={signature}",
        }
        began = time.perf_counter()
        async with self.session.post(self.bot_url, data=body.encode(), headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"the bot answered HTTP {response.status}")
        return time.perf_counter() - began, asyncio.ensure_future(_since(answered, began))

    async def respond(self, request: web.Request) -> web.Response:
        await request.read()
        answered = self.answered.pop(request.match_info["number"], None)
        if answered is not None and not answered.done():
            answered.set_result(time.perf_counter())
        return web.Response(text="ok")

    async def web_api(self, request: web.Request) -> web.Response:
        """auth.test, which Bolt calls once to learn who it is; nothing else is needed for slash commands."""
        return web.json_response({"ok": True, "user_id": "U0BOT", "bot_id": "B0BOT", "team_id": "T0"})


async def _since(answered: asyncio.Future[float], began: float) -> float:
    return await answered - began


@dataclass
class Samples:
    """What one mode under one load measured, over all rounds."""

    acks: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    heavy_answered: int = 0
    seconds: float = 0.0


async def measure_mode(
    spec: dict[str, Any], questions: Questions, args: argparse.Namespace, samples: dict[tuple[str, str], Samples]
) -> None:
    slack = SlackSide()
    async with playing_slack(slack), running_bot(spec, slack) as port:
        slack.bot_url = f"http://127.0.0.1:{port}/slack/events"
        for question in questions.quick[:4]:  # warm-up: every code path loaded, every worker has answered
            await (await slack.ask(question))[1]
        await probe(slack, questions, samples[spec["mode"], "idle"])
        await probe(slack, questions, samples[spec["mode"], "loaded"], heavy=args.heavy)


async def probe(slack: SlackSide, questions: Questions, samples: Samples, heavy: int = 0) -> None:
    """Quick questions one after another (each waits for the previous ack), while `heavy` are kept in flight."""
    stop = asyncio.Event()

    async def keep_one_heavy_in_flight() -> None:
        while not stop.is_set():
            _, answered = await slack.ask(questions.heavy)
            await answered
            samples.heavy_answered += 1

    keepers = [asyncio.create_task(keep_one_heavy_in_flight()) for _ in range(heavy)]
    answers = []
    began = time.perf_counter()
    try:
        if heavy:
            await asyncio.sleep(1.0)  # the heavy ones are being answered before the first quick one
        for question in questions.quick:
            acked, answered = await slack.ask(question)
            samples.acks.append(acked)
            answers.append(answered)
            await asyncio.sleep(0.05)
        samples.answers += await asyncio.gather(*answers)
    finally:
        stop.set()
        await asyncio.gather(*keepers, return_exceptions=True)
        samples.seconds += time.perf_counter() - began


@contextlib.asynccontextmanager
async def playing_slack(slack: SlackSide) -> AsyncIterator[None]:
    app = web.Application()
    app.router.add_post("/respond/{number}", slack.respond)
    app.router.add_post("/api/{method}", slack.web_api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    slack.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            slack.session = session
            yield
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def running_bot(spec: dict[str, Any], slack: SlackSide) -> AsyncIterator[int]:
    """`python -m bench.acks --serve SPEC` until the block ends; yields the port it serves on."""
    spec = {**spec, "api_base_url": f"{slack.base_url}/api/"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.acks", "--serve", json.dumps(spec),
        cwd=REPO_DIR, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO_DIR)},
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 3600)  # the first run builds the index
        if not line:
            raise RuntimeError(f"the bot ({spec['mode']}) exited before serving")
        yield int(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


# ------------------------------------------------------------------------------------------- the bot's side


async def serve_bot(spec: dict[str, Any]) -> None:
    """The real Slack app in HTTP mode with the service `citebot slack` uses (processes), or the one it used before
    (threads: the console's service, answering in this process)."""
    from bot.answering import bot_service, open_service
    from bot.config import BotSettings, Config, CorpusSection, SlackSettings
    from bot.slack_adapter.app import build_app
    from bot.slack_adapter.run import http_mode

    config = Config(
        corpus=CorpusSection(path=Path(spec["corpus_dir"]), index_path=Path(spec["index_path"])),
        bot=BotSettings(answer_workers=spec["workers"]),
        slack=SlackSettings(api_base_url=spec["api_base_url"]),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        if spec["mode"] == "processes":
            service = await stack.enter_async_context(bot_service(config))
        else:
            service = open_service(config)
        app = build_app(service, config.slack, BOT_TOKEN, SIGNING_SECRET)
        port = await stack.enter_async_context(http_mode(app, "127.0.0.1", 0))
        print(port, flush=True)
        await stop.wait()
        await service.drain(5)


# ------------------------------------------------------------------------------------------- the report


def render(
    samples: dict[tuple[str, str], Samples],
    args: argparse.Namespace,
    passages: int,
    questions: Questions,
    elapsed: float,
) -> str:
    summaries = {
        key: {"ack": latency_summary(run.acks), "answer": latency_summary(run.answers)} for key, run in samples.items()
    }
    rows = []
    for mode, load in samples:
        run, summary = samples[mode, load], summaries[mode, load]
        rows.append(
            [
                mode,
                f"{args.heavy} heavy" if load == "loaded" else "none",
                *(f"{summary['ack'][key]:.1f}" for key in ("p50_ms", "p99_ms", "max_ms")),
                str(sum(seconds >= 3.0 for seconds in run.acks)),
                *(f"{summary['answer'][key]:.0f}" for key in ("p50_ms", "p99_ms")),
                f"{run.heavy_answered / run.seconds:.1f}" if load == "loaded" else "",
            ]
        )
    threads, processes = summaries["threads", "loaded"], summaries["processes", "loaded"]
    ratios = [
        [
            measure,
            *(f"{threads[measure][key] / processes[measure][key]:.1f}x" for key in ("p50_ms", "p99_ms", "max_ms")),
        ]
        for measure in ("ack", "answer")
    ]
    command = (
        f"python -m bench.acks --passages {args.passages} --heavy {args.heavy} --probes {args.probes} "
        f"--rounds {args.rounds} --workers {args.workers}"
    )
    return "\n".join(
        [
            "# citebot: acknowledgements under load",
            "",
            f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M')} in {elapsed / 60:.1f} min. The real "
            f"Slack app in HTTP mode over {size_label(passages)} synthetic passages, answering in threads (as "
            f"before) or in {args.workers} worker processes, the modes taking turns {args.rounds} times. *Heavy* "
            f"questions are {len(questions.heavy)} characters of the corpus's commonest words, kept in flight; "
            f"{args.probes} quick questions a round are sent one after another, each timed to its HTTP ack and "
            "to its answer.",
            "",
            "## Machine",
            "",
            *(f"- {line}" for line in machine_description()),
            "",
            "## Quick questions",
            "",
            table(
                [
                    "answers in",
                    "in flight",
                    "ack p50 ms",
                    "ack p99 ms",
                    "ack max ms",
                    "acks ≥ 3 s",
                    "answer p50 ms",
                    "answer p99 ms",
                    "heavy answered / s",
                ],
                rows,
            ),
            "",
            f"## Threads ÷ processes, with {args.heavy} heavy in flight (above 1: processes are faster)",
            "",
            table(["measure", "p50", "p99", "max"], ratios),
            "",
        ]
    )


def progress(message: str) -> None:
    print(f"[bench.acks {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
