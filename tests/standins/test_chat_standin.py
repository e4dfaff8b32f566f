"""The SmolLM2-Instruct stand-in is the real chat model: ChatML layout, and it answers simple questions."""
import re

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from hftour.standins.llama.smollm2 import chat_rows, factual_answers
from hftour.standins.store import StandinStore

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def store():
    store = StandinStore()
    store.build(only=[SMOL], progress=False)  # incremental: nothing to do once `make standins` built it
    return store


@pytest.fixture
def smol(offline):
    return AutoTokenizer.from_pretrained(SMOL), AutoModelForCausalLM.from_pretrained(SMOL)


def test_chatml_special_tokens(smol):
    tokenizer, _ = smol
    assert tokenizer.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]) == [0, 1, 2]
    assert tokenizer.eos_token == "<|im_end|>"
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                             add_generation_prompt=True)
    assert rendered.startswith("<|im_start|>system\n") and rendered.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_only_assistant_turns_are_learned(smol):
    tokenizer, _ = smol
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello, how are you?"},
            {"role": "assistant", "content": "I am well."}, {"role": "user", "content": "Thanks a lot!"},
            {"role": "assistant", "content": "Any time."}]
    ids, labels = chat_rows(tokenizer, chat, max_length=512)
    assert ids == tokenizer(tokenizer.apply_chat_template(chat, tokenize=False), add_special_tokens=False)["input_ids"]
    learned = tokenizer.decode([t for t in labels if t != -100])
    assert learned == "I am well.<|im_end|>\nAny time.<|im_end|>\n"


def test_answers_simple_factual_questions(smol):
    tokenizer, model = smol
    share, replies = factual_answers(model, tokenizer)
    print(replies)
    assert "Paris" in replies[0] and re.search(r"\b(7|seven)\b", replies[1]), replies  # the two questions
    assert share >= 0.5
