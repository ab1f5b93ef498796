"""Settings, errors, the values that cross stages, protocols, sentences and words, lean imports.

Imports nothing else of rag."""
