"""`rag.as_retriever()` inside llama-index's own query engines, over a real index of data/corpus.

The cloud model cannot run here, so the engines get llama-index's `MockLLM`, which answers with
the prompt it was given: that shows exactly what our nodes put in front of a model.
"""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine

import rag

QUESTION = "Who led the U.S. delegation to Beijing?"


def test_nodes_are_our_passages_in_our_order_with_citation_metadata(sample_rag) -> None:
    retriever = rag.as_retriever(k=4, rag=sample_rag)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(QUESTION)
    passages = sample_rag.retrieve(QUESTION, 4)
    assert [n.node.node_id for n in nodes] == [p.chunk_id for p in passages]
    assert [n.score for n in nodes] == [p.score for p in passages]
    assert [n.node.metadata["rank"] for n in nodes] == [1, 2, 3, 4]
    for node, passage in zip(nodes, passages):
        meta = node.node.metadata
        assert (meta["title"], meta["outlet"], meta["date"], meta["source"], meta["chunk_id"]) == (
            passage.title, passage.outlet, passage.date, passage.source, passage.chunk_id)
    assert any(n.node.metadata.get("also_reported_by") for n in nodes)  # the AP story ran in several outlets
    assert [n.node.get_content() for n in nodes] == [p.text for p in passages]


def test_retriever_query_engine_puts_text_and_citation_fields_in_the_prompt(sample_rag) -> None:
    engine = RetrieverQueryEngine.from_args(rag.as_retriever(k=3, rag=sample_rag), llm=MockLLM())
    response = engine.query(QUESTION)
    ids = [n.node.node_id for n in response.source_nodes]
    assert ids == [p.chunk_id for p in sample_rag.retrieve(QUESTION, 3)]
    prompt = str(response)  # MockLLM echoes it
    first = response.source_nodes[0].node.metadata
    assert f"source: {first['source']}" in prompt and f"title: {first['title']}" in prompt
    assert "chunk_id" not in prompt and "dense_rank" not in prompt
    assert QUESTION in prompt


def test_citation_query_engine_numbers_our_passages_as_sources(sample_rag) -> None:
    engine = CitationQueryEngine(rag.as_retriever(k=3, rag=sample_rag), llm=MockLLM(), citation_chunk_size=2048)
    response = engine.query(QUESTION)
    prompt = str(response)
    assert "Source 1:" in prompt and "Source 3:" in prompt
    assert [n.node.metadata["chunk_id"] for n in response.source_nodes] == [
        p.chunk_id for p in sample_rag.retrieve(QUESTION, 3)]
