"""Where chunks live: the Chroma store, the manifest, the keyword index, sentence vectors, what replicas read."""
