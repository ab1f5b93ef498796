"""Generated evaluation sets (corpus + gold questions) kept next to the code that makes them."""
