"""The answer model every front end renders: ranked, verbatim quotes with their sources."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Highlight(BaseModel):
    """A matched question term inside a quote: `quote.text[start:end]`."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Quote(BaseModel):
    """An exact slice of a corpus file: `file_text[start:end] == text` (offsets in characters of UTF-8 text)."""

    model_config = ConfigDict(frozen=True)

    text: str
    source: str = Field(description="Path of the file relative to the corpus directory, with '/' separators.")
    title: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    line: int = Field(ge=1, description="1-based line of the file where the quote starts.")
    score: float
    highlights: list[Highlight] = Field(default_factory=list)
    url: str | None = None


class Answer(BaseModel):
    """What citebot says to a question; `note` explains, for a person, why there are no quotes."""

    model_config = ConfigDict(frozen=True)

    question: str
    answered: bool
    quotes: list[Quote] = Field(default_factory=list)
    note: str | None = None
