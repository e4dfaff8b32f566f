"""T5 stand-in: google-t5/t5-small with the real T5 tokenizer."""
