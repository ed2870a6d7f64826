"""The retrieval core's front door: open a corpus once, then ask it questions from any thread."""

from __future__ import annotations

from pathlib import Path

from retrieval.analysis import analyze
from retrieval.answers import Answer
from retrieval.compose import compose_answer
from retrieval.corpus_index import CorpusIndex, DocumentInfo, IndexReport, Progress, open_index
from retrieval.dense import DenseEncoder, DenseUnavailableError
from retrieval.documents import DEFAULT_MAX_FILE_BYTES, CorpusError, is_unicode_text
from retrieval.settings import RetrievalSettings


class Retriever:
    """Answers questions from one corpus; immutable after `open`, so it is safe to share between threads."""

    def __init__(
        self,
        index: CorpusIndex,
        settings: RetrievalSettings,
        report: IndexReport,
        encoder: DenseEncoder | None = None,
        url_template: str | None = None,
        *,
        warm_up: bool = True,
    ) -> None:
        if warm_up:  # a large corpus's first question would otherwise wait for numba's compiling
            index.engine.warm_up()
        self.index = index
        self.settings = settings
        self.report = report
        self.encoder = encoder
        self.url_template = url_template

    @classmethod
    def open(
        cls,
        corpus_dir: Path,
        settings: RetrievalSettings | None = None,
        index_path: Path | None = None,
        *,
        rebuild: bool = False,
        follow_symlinks: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        url_template: str | None = None,
        progress: Progress | None = None,
        warm_up: bool = True,
    ) -> Retriever:
        """Load the saved index if it is current, else build (and save) it. Raises CorpusError.

        Files that resolve outside `corpus_dir` are skipped unless `follow_symlinks`, and files over
        `max_file_bytes` are skipped unread. `url_template` links quotes of documents that carry no link of their
        own (see citations.py). Without `warm_up` the compiled top-k is left uncompiled (about 160 MB that
        numba keeps): for a process that only builds the index."""
        settings = settings or RetrievalSettings()
        try:
            encoder = DenseEncoder() if settings.dense else None
        except DenseUnavailableError as error:
            raise CorpusError(str(error)) from None
        index, report = open_index(
            corpus_dir,
            settings,
            index_path,
            rebuild=rebuild,
            follow_symlinks=follow_symlinks,
            encoder=encoder,
            max_file_bytes=max_file_bytes,
            progress=progress,
        )
        return cls(index, settings, report, encoder, url_template, warm_up=warm_up)

    @property
    def documents(self) -> list[DocumentInfo]:
        return self.index.documents

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        return compose_answer(
            self.index, question, self.settings, top_k or self.settings.top_k, self.encoder, self.url_template
        )

    def question_cost(self, question: str) -> int:
        """How many postings answering `question` scores, the bulk of the work: a cheap estimate (a fraction of a
        millisecond, nothing scored) for serving quick questions first. 0 for one `ask` refuses at once."""
        if not is_unicode_text(question) or len(question) > self.settings.max_question_chars:
            return 0
        return sum(self.index.engine.document_frequency(term) for term in set(analyze(question)))
