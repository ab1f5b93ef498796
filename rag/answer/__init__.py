"""What the user is told: the answer with resolving citations, each sentence's support, and whether to refuse."""
