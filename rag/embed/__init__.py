"""Which embedder turns text into vectors, so ingest and retrieval always embed with the same model."""
