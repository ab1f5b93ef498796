"""Which HTTP status a `RagError` deserves, in one place for `/api/*` and `/v1/*`."""

from __future__ import annotations

from rag.core.errors import IndexMissingError, IndexUnavailableError, InvalidQuestionError, RagError


def status_for(exc: RagError) -> int:
    """400 for a question the client must fix, 503 while the index is missing or unreachable."""
    if isinstance(exc, InvalidQuestionError):
        return 400
    if isinstance(exc, (IndexMissingError, IndexUnavailableError)):
        return 503
    return 500


def code_for(exc: RagError) -> str:
    """A stable machine-readable code for the OpenAI error shape's `code` field."""
    if isinstance(exc, InvalidQuestionError):
        return "invalid_question"
    if isinstance(exc, IndexMissingError):
        return "index_missing"
    if isinstance(exc, IndexUnavailableError):
        return "index_unavailable"
    return "internal_error"
