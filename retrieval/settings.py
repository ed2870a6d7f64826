"""Settings that shape the index and the answers (the `[retrieval]` section of the config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class RetrievalSettings(BaseModel):
    """Every knob of the retrieval core; the index is rebuilt when an indexing knob changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # inf/NaN pass ge/gt, then crash

    k1: float = Field(1.5, gt=0, description="BM25 term-frequency saturation.")
    b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    epsilon: float = Field(0.25, ge=0, description="BM25Okapi IDF floor, as a share of the mean IDF.")
    passage_sentences: int = Field(4, ge=1, le=50, description="Sentences per passage.")
    passage_overlap: int = Field(1, ge=0, description="Sentences shared by neighbouring passages.")
    passage_max_chars: int = Field(1200, ge=100, description="A passage stops growing past this length.")
    top_k: int = Field(3, ge=1, le=20, description="Quotes in an answer.")
    min_coverage: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Abstain unless a passage (with title and section) matches this share of the question's weight.",
    )
    max_unknown_share: float = Field(
        0.27,
        ge=0,
        le=1,
        description="Abstain when this share of the question's weight is words the documents never use.",
    )
    min_unknown_name_share: float = Field(
        0.15,
        ge=0,
        le=1,
        description='Abstain, naming it, when a name no document mentions ("Jenkins") is this share of the question.',
    )
    dense: bool = Field(
        False, description="Also rank passages by meaning with a local sentence encoder (the [dense] extra)."
    )
    max_question_chars: int = Field(1000, ge=10, description="Longer questions are refused with a message.")
    max_quote_chars: int = Field(600, ge=80, description="A quote grows by whole sentences up to this length.")

    def index_key_fields(self) -> dict[str, object]:
        """The settings that change what is indexed, and so belong in the index key."""
        return {
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "passage_sentences": self.passage_sentences,
            "passage_overlap": self.passage_overlap,
            "passage_max_chars": self.passage_max_chars,
            "dense": self.dense,
        }


def describe_validation_error(error: ValidationError) -> str:
    """`key.path: problem`, for the first problem of a config or manifest file, in one line."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    if first["type"] == "value_error":  # our own validators' messages are sentences of their own
        problem = problem.removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{key}: {problem}{more}" if key else f"{problem}{more}"
