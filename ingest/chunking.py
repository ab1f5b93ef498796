"""Articles -> sentence-aligned chunks sized for MiniLM, with stable ids and the metadata we cite.

MiniLM reads at most 256 word pieces; text past that is invisible to dense retrieval, so chunks are
measured in MiniLM's own word pieces (not characters or GPT tokens) and stay well under the limit
once the title/date prefix that is embedded with them is counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode

from ingest.article import Article
from rag.core.text import split_sentences_keep_space
from rag.embed.minilm import get_tokenizer

_EMBEDDED_KEYS = ("title", "date")


@dataclass(frozen=True)
class ChunkingConfig:
    max_word_pieces: int = 160
    overlap_word_pieces: int = 24
    embed_title: bool = True  # prefix "title: …\ndate: …" to the text that gets embedded


def stable_id(*parts: object) -> str:
    """Same inputs, same id: re-ingesting an unchanged file rewrites nothing."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


class Chunker:
    """Cuts each article's body into sentence-aligned chunks; captions and the byline are chunks of their own."""

    def __init__(self, config: ChunkingConfig = ChunkingConfig(), count_pieces: Callable[[str], list] | None = None):
        self.config = config
        self._count_pieces = count_pieces

    @cached_property
    def _splitter(self) -> SentenceSplitter:
        tokenize = self._count_pieces
        if tokenize is None:
            tokenize = word_piece_counter()
        return SentenceSplitter(
            chunk_size=self.config.max_word_pieces,
            chunk_overlap=self.config.overlap_word_pieces,
            tokenizer=tokenize,
            paragraph_separator="\n\n",
            chunking_tokenizer_fn=split_sentences_keep_space,
        )

    def chunk(self, article: Article, path: str, file_sha: str) -> list[TextNode]:
        aid = article_id(path, article.index)
        base = {
            "title": article.title,
            "date": article.date,
            "outlet": article.outlet,
            "byline": article.byline,
            "source": article.source,
            "path": path,
            "file_sha": file_sha,
            "article_id": aid,
        }
        pieces = [(t, "body") for t in self._body_texts(article, base, aid)]
        pieces += [(c, "caption") for c in article.captions]
        if article.byline:
            pieces.append((credit_line(article), "credit"))
        return [
            self._node(text, {**base, "kind": kind, "position": i}, file_sha)
            for i, (text, kind) in enumerate(pieces)
        ]

    def _body_texts(self, article: Article, base: dict[str, str], aid: str) -> list[str]:
        """Sentence-aligned pieces of the body, leaving room for the embedded title/date prefix."""
        if not article.paragraphs:
            return []
        prefix = embed_prefix(base) if self.config.embed_title else ""
        return self._splitter.split_text_metadata_aware(article.body, prefix)

    def _node(self, text: str, meta: dict[str, object], file_sha: str) -> TextNode:
        node = TextNode(
            text=text,
            id_=stable_id(meta["path"], file_sha, meta["article_id"], meta["kind"], meta["position"]),
            metadata=meta,
        )
        node.excluded_embed_metadata_keys = self._hidden_from_embedding(meta)
        node.excluded_llm_metadata_keys = list(meta)
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=str(meta["article_id"]))
        return node

    def _hidden_from_embedding(self, meta: dict[str, object]) -> list[str]:
        shown = _EMBEDDED_KEYS if self.config.embed_title else ()
        return [k for k in meta if k not in shown]


def credit_line(article: Article) -> str:
    """The byline as one searchable sentence, so "who wrote the AP story?" can be answered and cited."""
    outlet = f" for {article.outlet}" if article.outlet else ""
    published = f", published {article.date}" if article.date else ""
    return f"“{article.title.rstrip('.')}” was reported by {article.byline}{outlet}{published}."


def word_piece_counter() -> Callable[[str], list[int]]:
    """MiniLM's tokenizer with its padding/truncation switched off, so lengths are real."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(get_tokenizer().to_str())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids


def article_id(path: str, index: int) -> str:
    """Stable across edits of the file, so links and filters survive a re-ingest."""
    return stable_id(path, index)[:16]


def embed_prefix(meta: Mapping[str, object]) -> str:
    """Exactly the header llama-index puts before the text in MetadataMode.EMBED."""
    return "\n".join(f"{k}: {meta[k]}" for k in _EMBEDDED_KEYS)


def embed_text(node: TextNode) -> str:
    """The exact text that is embedded: the chunk with its title/date prefix when configured."""
    return node.get_content(metadata_mode=MetadataMode.EMBED)
