"""The foundation every stage stands on: settings, errors, shared types, the Chroma store, the
ingest manifest, the embedders and the keyword index. Nothing in here imports from outside it,
so ingest, retrieval, answering and the interfaces can all build on it without cycles."""
