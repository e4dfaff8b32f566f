"""Template-only chat stand-ins render the course's conversation exactly as the real checkpoints' templates do."""
import pytest
from transformers import AutoTokenizer

from hftour.standins.store import StandinStore

ZEPHYR, MISTRAL = "HuggingFaceH4/zephyr-7b-beta", "mistralai/Mistral-7B-Instruct-v0.1"
CHAT = [{"role": "user", "content": "Hola, ¿Cómo estás?"},
        {"role": "assistant", "content": "Estoy bien. ¿Cómo te puedo ayudar?"},
        {"role": "user", "content": "Me gustaría saber cómo funcionan los chat templates"}]


@pytest.fixture(scope="module")
def store():
    store = StandinStore()
    store.build(only=[ZEPHYR, MISTRAL], progress=False)
    return store


def test_zephyr_renders_the_course_strings(store):
    tokenizer = AutoTokenizer.from_pretrained(store.snapshot_dir(ZEPHYR))
    rendered = ("<|user|>\nHola, ¿Cómo estás?</s>\n<|assistant|>\nEstoy bien. ¿Cómo te puedo ayudar?</s>\n"
                "<|user|>\nMe gustaría saber cómo funcionan los chat templates</s>\n")
    assert tokenizer.apply_chat_template(CHAT, tokenize=False) == rendered
    assert tokenizer.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True) == rendered + "<|assistant|>\n"


def test_mistral_renders_the_course_string_and_rejects_system(store):
    tokenizer = AutoTokenizer.from_pretrained(store.snapshot_dir(MISTRAL))
    assert tokenizer.apply_chat_template(CHAT, tokenize=False) == (
        "<s>[INST] Hola, ¿Cómo estás? [/INST]Estoy bien. ¿Cómo te puedo ayudar?</s> "
        "[INST] Me gustaría saber cómo funcionan los chat templates [/INST]")
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (1, 2, 0)
    with pytest.raises(Exception, match="alternate"):
        tokenizer.apply_chat_template([{"role": "system", "content": "Be brief."}] + CHAT, tokenize=False)
