"""The answer model every front end renders: ranked, verbatim quotes with their sources."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Highlight(BaseModel):
    """A matched question term inside a quote: `quote.text[start:end]`."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Quote(BaseModel):
    """An exact slice of a document's text as indexed: `stored_text[start:end] == text` (offsets in characters).

    For .txt, .md and .rst the stored text is the file's text; for HTML, PDF and Word (`derived`) it is the text
    extracted from the file, which `citebot show SOURCE:START-END` prints."""

    model_config = ConfigDict(frozen=True)

    text: str
    source: str = Field(description="Path of the file relative to the corpus directory, with '/' separators.")
    title: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    line: int = Field(ge=1, description="1-based line of the stored text where the quote starts.")
    score: float
    highlights: list[Highlight] = Field(default_factory=list)
    section: str | None = Field(None, description="The heading of the section its best-matching sentence is in.")
    page: int | None = Field(None, ge=1, description="The 1-based page of its best-matching sentence (PDF).")
    url: str | None = Field(None, description="A link a reader can open, to the section or page where it can.")
    derived: bool = Field(False, description="The stored text was extracted from the file (HTML, PDF, Word).")


class Answer(BaseModel):
    """What citebot says to a question; `note` explains, for a person, why there are no quotes."""

    model_config = ConfigDict(frozen=True)

    question: str
    answered: bool
    quotes: list[Quote] = Field(default_factory=list)
    note: str | None = None
