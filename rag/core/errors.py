"""Errors the user can act on.

    RagError                 base: the CLI and the chat page show its message as is
    ├── ConfigError          a setting is missing or malformed
    ├── IndexMissingError    nothing has been ingested at the configured location
    ├── IndexUnavailableError the Chroma server cannot be reached
    ├── InvalidQuestionError empty or oversized question
    ├── ModelFileError       the local model file is missing, not a GGUF, or fails its checksum
    └── LLMUnavailableError  the model server failed after retries (callers fall back)

Inside the package we raise; only the edges (CLI, chat page, HTTP API) turn these into messages.
"""


class RagError(Exception):
    """Base class: the message says what went wrong and what to do next."""


class ConfigError(RagError):
    """A setting is missing or malformed."""


class IndexMissingError(RagError):
    """The index directory or Chroma collection holds no ingested articles."""


class IndexUnavailableError(RagError):
    """The configured Chroma server did not answer."""


class InvalidQuestionError(RagError):
    """The question is empty or too long to be a question."""


class ModelFileError(RagError):
    """The local model file is missing, is not a GGUF, or does not match its checksum: never loaded."""


class LLMUnavailableError(RagError):
    """The configured model server could not produce an answer."""
