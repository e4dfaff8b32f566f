"""GPT-2 stand-ins: GPT-2 itself (the real tokenizer, trained on real English) and DistilGPT2, its assisted-decoding helper."""
