"""What the words of a text refer to: named entities and the dates that relative phrases point at."""
