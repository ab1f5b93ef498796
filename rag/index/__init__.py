"""Where chunks live: the Chroma store, the ingest manifest, the keyword index, the reader's sentence vectors."""
