"""Settings, errors, the values that cross stages, protocols, sentences and words, lean imports; imports nothing else of rag."""
