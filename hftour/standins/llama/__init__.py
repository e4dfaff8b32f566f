"""Llama-architecture stand-ins: SmolLM2-135M-Instruct, the real chat model from its GGUF file."""
