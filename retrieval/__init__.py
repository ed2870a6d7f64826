"""citebot's retrieval core: documents -> cleaning -> passages -> analysis -> BM25 index -> quoted answers.

Pure Python and synchronous; it knows no chat platform.
"""

from retrieval.answers import Answer, Highlight, Quote
from retrieval.corpus_index import DocumentInfo, IndexReport
from retrieval.documents import CorpusError, SkippedFile
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

__all__ = [
    "Answer",
    "CorpusError",
    "DocumentInfo",
    "Highlight",
    "IndexReport",
    "Quote",
    "RetrievalSettings",
    "Retriever",
    "SkippedFile",
]
