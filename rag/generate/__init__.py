"""What a language model is asked and how it is reached: prompts, the OpenAI-compatible client, the local server."""
