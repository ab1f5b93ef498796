"""Settings, errors, the values that cross stages, protocols, sentences and words; imports nothing else of rag."""
