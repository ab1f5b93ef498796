"""Which passages answer a question: hybrid search, article and time ranking, duplicates, what the reader reads."""
