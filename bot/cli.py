"""`citebot`: ask, console, index, eval, slack, discord, serve, healthcheck. Errors a user can cause are one line
and exit 2."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from bot.config import DEFAULT_COLLECTION, Config, ConfigError, CorpusSection, load_config
from bot.rendering import printable
from retrieval.documents import CorpusError

if TYPE_CHECKING:
    from retrieval.corpus_index import IndexReport

EXIT_OK = 0
EXIT_USAGE = 2

log = logging.getLogger("citebot")


class UsageError(Exception):
    """Bad command-line use: reported as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common_options(default: object) -> _Parser:
    """--config and --corpus, accepted before or after the command."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--config", type=Path, metavar="FILE", default=default, help="config file (TOML); env CITEBOT_CONFIG"
    )
    common.add_argument("--corpus", type=Path, metavar="DIR", default=default, help="directory of documents")
    return common


def build_parser() -> argparse.ArgumentParser:
    # After the command, an option left out must not overwrite the value given before the command.
    common = _common_options(argparse.SUPPRESS)
    parser = _Parser(
        prog="citebot",
        description="Answers questions with verbatim, cited quotes from your documents.",
        parents=[_common_options(None)],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = commands.add_parser("ask", parents=[common], help="answer a question (or questions from stdin)")
    ask.add_argument("question", nargs="*", metavar="QUESTION", help="the question; omit to read one per line")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (JSON Lines for stdin)")
    ask.add_argument("--top-k", type=_positive_int, metavar="N", help="number of quotes (default: config)")
    _collection_option(ask, "answer from this collection ([[collections]] name; default: [corpus])")

    console = commands.add_parser("console", parents=[common], help="ask questions interactively")
    console.add_argument("--top-k", type=_positive_int, metavar="N", help="number of quotes")
    console.add_argument("--log", action="store_true", help="record these questions in the question log")
    _collection_option(console, "answer from this collection ([[collections]] name; default: [corpus])")

    index = commands.add_parser("index", parents=[common], help="build and save the index, and report on it")
    index.add_argument("--explain", metavar="FILE", help="show what cleaning keeps and leaves out of one file")
    _collection_option(index, "build only this collection (default: every collection in the config)")

    evaluate = commands.add_parser("eval", parents=[common], help="score answers on a question set")
    evaluate.add_argument("file", type=Path, metavar="FILE.jsonl", help='lines of {"q": ..., "gold": [...]}')
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    _collection_option(evaluate, "score this collection's answers (default: [corpus])")

    slack = commands.add_parser("slack", parents=[common], help="run the Slack app (Socket Mode by default)")
    slack.add_argument("--http", action="store_true", help="serve HTTP /slack/events instead of Socket Mode")
    slack.add_argument("--port", type=_port, default=3000, metavar="P", help="HTTP port (default 3000)")

    commands.add_parser("discord", parents=[common], help="run the Discord bot")
    commands.add_parser(
        "serve", parents=[common], help="run every front end with secrets set, with health and metrics ([serve])"
    )

    health = commands.add_parser(
        "healthcheck", parents=[common], help="exit 0 if citebot serve answers /healthz at [serve] host and port"
    )
    health.add_argument("--ready", action="store_true", help="ask /readyz instead (ready to answer questions)")

    show = commands.add_parser(
        "show", parents=[common], help="print a document's text as indexed (what quotes are cut from), or a slice"
    )
    show.add_argument("target", metavar="SOURCE[:START-END]", help="a quote's source, and its start and end")
    _collection_option(show, "a document of this collection (default: [corpus])")
    report = commands.add_parser("report", parents=[common], help="what was asked, unanswered and disliked")
    report.add_argument("--since", default="7d", metavar="PERIOD", help="how far back: 24h, 7d, 4w (default 7d)")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output (default table)")
    report.add_argument("--export-eval", type=Path, metavar="FILE.jsonl", help="write unanswered and 👎 questions")

    forget = commands.add_parser("forget", parents=[common], help="delete one person's questions and votes")
    forget.add_argument("user", metavar="USER", help="their Slack or Discord user id (console: the login name)")
    return parser


def _collection_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--collection", metavar="NAME", help=help_text)


def _int_between(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high], with a message that says what was wrong."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {value}")
        return value

    return parse


_positive_int = _int_between(1, 50, "a number")
_port = _int_between(1, 65535, "a port number")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except (UsageError, ConfigError, CorpusError) as error:
        print(f"citebot: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `citebot ask ... | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError("no command given: try 'citebot console' or 'citebot ask \"your question\"'")
    config = _config(args)
    _setup_cli_logging(server=args.command in ("slack", "discord", "serve"), json_lines=config.log.format == "json")
    handlers: dict[str, Callable[[argparse.Namespace, Config], int]] = {
        "ask": _ask,
        "console": _console,
        "index": _index,
        "eval": _eval,
        "slack": _slack,
        "discord": _discord,
        "serve": _serve,
        "healthcheck": _healthcheck,
        "show": _show,
        "report": _report,
        "forget": _forget,
    }
    return handlers[args.command](args, config)


def _config(args: argparse.Namespace) -> Config:
    config_path = args.config or (Path(os.environ["CITEBOT_CONFIG"]) if os.environ.get("CITEBOT_CONFIG") else None)
    config = load_config(config_path)
    if args.corpus is not None:
        config.corpus.path = args.corpus
    return config


def _setup_cli_logging(*, server: bool, json_lines: bool = False) -> None:
    from bot.logs import setup_logging

    if server:
        setup_logging(logging.INFO, json_lines=json_lines)
    else:
        setup_logging(logging.WARNING, fmt="citebot: %(levelname)s: %(message)s")


# ---------------------------------------------------------------------------- commands


def _ask(args: argparse.Namespace, config: Config) -> int:
    from bot.answering import open_retriever

    question = " ".join(args.question).strip()
    if not question and sys.stdin.isatty():
        raise UsageError('give a question, e.g. citebot ask "what did Nadella say?" (or pipe questions in)')
    retriever = open_retriever(config, collection=_collection(args, config))
    top_k = args.top_k or config.retrieval.top_k
    questions: Iterator[str] = iter([question]) if question else _stdin_lines(sys.stdin)
    if args.json:
        from bot.rendering import answer_json

        for line in questions:
            sys.stdout.write(answer_json(retriever.ask(line, top_k)) + "\n")
            sys.stdout.flush()
        return EXIT_OK
    rich_terminal = sys.stdout.isatty()
    for number, line in enumerate(questions):
        answer = retriever.ask(line, top_k)
        if rich_terminal:
            from rich.console import Console

            from bot.text_render import render_rich

            Console().print(render_rich(answer))
        else:
            from bot.text_render import render_plain

            print(("\n" if number else "") + render_plain(answer))
    return EXIT_OK


def _stdin_lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def _console(args: argparse.Namespace, config: Config) -> int:
    from bot.answering import open_service
    from bot.console import run_console
    from bot.live_index import live_updates

    question_log = None
    if args.log:
        from bot.store import open_question_log

        question_log = open_question_log(config.storage.url, config.log)
    service = open_service(config, args.top_k or config.retrieval.top_k, _collection(args, config))
    with live_updates(config, service):
        return run_console(service, question_log)


def _index(args: argparse.Namespace, config: Config) -> int:
    from bot.answering import retriever_spec
    from bot.progress import progress_bar

    if args.explain:
        return _explain(config.collection(_collection(args, config)), args.explain)
    names = [_collection(args, config)] if args.collection else config.collection_names
    for number, name in enumerate(names):
        if len(names) > 1:
            print(("\n" if number else "") + f"collection: {name}")
        with progress_bar() as progress:
            report = retriever_spec(config, name).open(rebuild=True, progress=progress, warm_up=False).report
        _print_index_report(config.collection(name).directory, report)
    return EXIT_OK


def _collection(args: argparse.Namespace, config: Config) -> str:
    """The --collection given (checked against the config: one line naming the known ones), else the default."""
    name: str | None = getattr(args, "collection", None)
    if name is None:
        return DEFAULT_COLLECTION
    config.collection(name)  # raises ConfigError for an unknown name
    if args.corpus is not None and name != DEFAULT_COLLECTION:
        raise UsageError(f"--corpus replaces [corpus]'s directory, not collection {name!r}'s: give one or the other")
    return name


def _print_index_report(corpus_dir: Path, report: IndexReport) -> None:
    print(f"corpus:     {corpus_dir}")
    print(f"documents:  {report.documents}")
    print(f"passages:   {report.passages}")
    print(f"vocabulary: {report.vocabulary} terms")
    print(f"skipped:    {len(report.skipped)} file(s)")
    for skipped in report.skipped:
        print(f"  - {printable(skipped.source, keep_newlines=False)}: {skipped.reason}")
    where = str(report.path) if report.saved else f"not saved (could not write {report.path})"
    cleaning = report.cleaning
    print(f"left out:   {cleaning.share_left_out:.1%} of the text (see --explain FILE)")
    for reason, chars in sorted(cleaning.left_out.items(), key=lambda item: (-item[1], item[0])):
        print(f"  - {reason}: {chars / (cleaning.line_chars or 1):.1%}")
    if cleaning.worst:
        worst = (f"{printable(source, keep_newlines=False)} {share:.0%}" for source, share in cleaning.worst)
        print("  most left out: " + ", ".join(worst))
    print(f"index:      {where}")
    print(f"time:       {report.seconds:.2f} s")


def _explain(section: CorpusSection, source: str) -> int:
    from retrieval.explain import explain_file

    for line in explain_file(section.directory, source, follow_symlinks=section.follow_symlinks):
        mark = "kept    " if line.kept else "left out"
        why = f" ({line.reason})" if line.reason else ""
        print(f"{line.line:>6} {mark}{why}: {printable(line.text, keep_newlines=False)}")
    return EXIT_OK


def _eval(args: argparse.Namespace, config: Config) -> int:
    from bot.answering import open_retriever
    from retrieval.evaluation import EvalFileError, evaluate, read_cases

    try:
        cases = read_cases(args.file)
    except EvalFileError as error:
        raise UsageError(str(error)) from None
    report = evaluate(open_retriever(config, collection=_collection(args, config)), cases)
    if args.json:
        print(report.model_dump_json())
        return EXIT_OK
    print(f"questions:            {report.questions} ({report.answerable} answerable)")
    print(f"hit@1:                {report.hit_at_1:.3f}")
    print(f"hit@3:                {report.hit_at_3:.3f}")
    print(f"MRR@10:               {report.mrr_at_10:.3f}")
    print(f"abstained:            {report.abstained}")
    if report.abstention_precision is not None:
        print(f"abstention precision: {report.abstention_precision:.3f}")
    print(f"abstention recall:    {report.abstention_recall:.3f}")
    print(f"answerable refused:   {report.refused_answerable:.3f}")
    print(f"unanswerable answered: {report.answered_unanswerable:.3f}")
    misses = [r for r in report.results if (r.should_abstain == r.answered) or (r.answered and r.rank != 1)]
    for result in misses:
        if result.should_abstain:
            what = "answered, should abstain"
        elif not result.answered:
            what = "abstained"
        else:
            what = f"gold at rank {result.rank}" if result.rank else "gold not in the quotes"
        print(f"  - {what}: {result.question}")
    return EXIT_OK


_SLICE = re.compile(r"(?P<source>.+):(?P<start>\d+)-(?P<end>\d+)")


def _show(args: argparse.Namespace, config: Config) -> int:
    """The stored text a quote was cut from: `text[START:END]` of the index as saved, even when the file has
    changed since (a running bot quotes from that text), with a note on stderr when it has."""
    from retrieval.corpus_index import open_saved_index

    target: str = args.target
    match = _SLICE.fullmatch(target)
    source = match["source"] if match else target
    section = config.collection(_collection(args, config))
    index, stale = open_saved_index(
        section.directory,
        config.retrieval,
        section.index_path,
        follow_symlinks=section.follow_symlinks,
        max_file_bytes=section.max_file_bytes,
    )
    doc = next((n for n, info in enumerate(index.documents) if info.source == source), None)
    if doc is None:
        shown = printable(source, keep_newlines=False)
        raise UsageError(f"no document {shown!r} in the index (the console's /sources lists them)")
    text = index.document_text(doc)
    start, end = (int(match["start"]), int(match["end"])) if match else (0, len(text))
    if not 0 <= start <= end <= len(text):
        raise UsageError(f"{start}-{end} is outside {source!r}, whose indexed text has {len(text)} characters")
    if stale:
        print("citebot: note: the corpus changed since it was indexed; this is the text as indexed", file=sys.stderr)
    shown = printable(text[start:end])
    sys.stdout.write(shown if shown.endswith("\n") else shown + "\n")
    return EXIT_OK


def _slack(args: argparse.Namespace, config: Config) -> int:
    from bot.slack_adapter import run_slack

    return run_slack(config, http=args.http, port=args.port)


def _discord(args: argparse.Namespace, config: Config) -> int:
    from bot.discord_adapter import run_discord

    return run_discord(config)


def _serve(args: argparse.Namespace, config: Config) -> int:
    from bot.serving import run_serve

    return run_serve(config)


def _healthcheck(args: argparse.Namespace, config: Config) -> int:
    from bot.healthcheck import check_health

    problem = check_health(config.serve, ready=args.ready)
    if problem is None:
        return EXIT_OK
    print(f"citebot: unhealthy: {problem}", file=sys.stderr)
    return 1


def _report(args: argparse.Namespace, config: Config) -> int:
    from bot.store.commands import run_report

    return run_report(config, since=args.since, output=args.format, export_eval=args.export_eval)


def _forget(args: argparse.Namespace, config: Config) -> int:
    from bot.store.commands import run_forget

    return run_forget(config, args.user)


if __name__ == "__main__":
    raise SystemExit(main())
