"""What a question asks: its kind, the answer type, the time it is about, a follow-up made stand-alone."""
