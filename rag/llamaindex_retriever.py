"""Our retrieval as a llama-index `BaseRetriever` (`rag.as_retriever`), for people who build their
own query engines: `RetrieverQueryEngine`, `CitationQueryEngine`, agents' query tools.

Each `NodeWithScore` is one passage of `Rag.retrieve`, in its order (hybrid dense + BM25 fusion,
articles of the question's time preferred, near-duplicates collapsed) with its fused score, and
carries what a citation needs: title, outlet, date, source, chunk id (plus byline, article id,
its ranks and the outlets that ran the same passage). The LLM is shown title, outlet, date and
source beside the text; the ranks stay out of the prompt. Built on the public API only
(`Rag.retrieve`, `Passage`), so it moves with it.
"""

from __future__ import annotations

from datetime import date

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from rag.api import Rag
from rag.core.types import Passage, SearchFilter

CITATION_KEYS = ("title", "outlet", "date", "source", "chunk_id")
"""The metadata every node carries for citing it; the LLM sees all but the chunk id."""


class NewsRetriever(BaseRetriever):
    """The top `k` passages of one `Rag` for each query, as scored llama-index nodes."""

    def __init__(self, rag: Rag, k: int = 5, *, filters: SearchFilter | None = None, as_of: date | None = None,
                 callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self.rag, self.k, self.filters, self.as_of = rag, k, filters, as_of

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self.rag.retrieve(query_bundle.query_str, self.k, filters=self.filters, as_of=self.as_of)
        return [NodeWithScore(node=passage_node(p, rank), score=p.score) for rank, p in enumerate(passages, 1)]


def passage_node(passage: Passage, rank: int) -> TextNode:
    """One passage as a node whose id is its chunk id and whose source node is its article."""
    ranks = {"rank": rank, "dense_rank": passage.dense_rank, "keyword_rank": passage.keyword_rank}
    meta: dict[str, str | int] = {
        "title": passage.title, "outlet": passage.outlet, "date": passage.date, "source": passage.source,
        "chunk_id": passage.chunk_id, "byline": passage.byline, "article_id": passage.article_id,
        "kind": passage.kind, **{name: value for name, value in ranks.items() if value is not None},
    }
    also = sorted({ref.outlet or ref.source for ref in passage.duplicates})
    if also:
        meta["also_reported_by"] = ", ".join(also)
    hidden = [key for key in meta if key not in CITATION_KEYS or key == "chunk_id"]
    node = TextNode(id_=passage.chunk_id, text=passage.text, metadata=meta,
                    excluded_llm_metadata_keys=hidden, excluded_embed_metadata_keys=list(meta))
    if passage.article_id:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=passage.article_id)
    return node
