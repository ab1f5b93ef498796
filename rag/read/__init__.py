"""Which retrieved sentences answer the question, and the short answer inside them, without a model."""
