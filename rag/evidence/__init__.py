"""Is there an answer in what was retrieved: the one place that decides refusal, for both answer paths."""
