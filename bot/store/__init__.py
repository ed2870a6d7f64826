"""The question log and its feedback behind one small interface (`Store`), in SQLite or PostgreSQL.

Front ends use `QuestionLog` (record, vote, comment: never blocking, never failing an answer); `citebot
report` and `citebot forget` read and delete through `Store`. No SQL lives outside this package.
"""

from __future__ import annotations

from bot.store.question_log import QuestionLog, RateLimitedWarning, answer_and_record, open_question_log
from bot.store.records import Asked, QuestionRecord, QuoteRecord, VoteRecord, person_digest, wording_key
from bot.store.sql import Store, StoreError, default_url, open_store

__all__ = [
    "Asked",
    "QuestionLog",
    "QuestionRecord",
    "QuoteRecord",
    "RateLimitedWarning",
    "Store",
    "StoreError",
    "VoteRecord",
    "answer_and_record",
    "default_url",
    "open_question_log",
    "open_store",
    "person_digest",
    "wording_key",
]
