"""What the user is told: the answer composed with resolving citations, and each sentence's support checked."""
