"""Image and speech stand-ins: small, untrained models of the real architectures with the real pre-processing."""
from __future__ import annotations

from pathlib import Path

IMAGENET_STYLE_LABELS = ["tabby cat", "golden retriever", "red fox", "goldfinch", "sports car",
                         "mountain bike", "espresso", "daisy", "lighthouse", "umbrella"]


def tiny_vit(spec, out: Path, store, progress: bool = True) -> dict:
    """A 2-layer ViT with the real 224x224 / 16x16-patch image processor and ten ImageNet-style labels."""
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    labels = dict(enumerate(IMAGENET_STYLE_LABELS))
    config = ViTConfig(image_size=224, patch_size=16, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=128, id2label=labels, label2id={v: k for k, v in labels.items()})
    ViTForImageClassification(config).save_pretrained(out)
    ViTImageProcessor(size={"height": 224, "width": 224}, image_mean=[0.5] * 3, image_std=[0.5] * 3).save_pretrained(out)
    return {"architecture": "ViTForImageClassification, 2 layers, hidden 64 (the real one: 12 layers, hidden 768)",
            "trained_on": "nothing: the weights are random, so its labels are arbitrary"}


def tiny_wav2vec2(spec, out: Path, store, progress: bool = True) -> dict:
    """A 2-layer wav2vec2 CTC model with the real character vocabulary and 16 kHz feature extractor."""
    import json

    from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC, Wav2Vec2Processor

    letters = list("ETAONIHSRDLUMWCFGYPBVK'XJQZ")
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate(letters)}}
    (out / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(out / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                         return_attention_mask=False)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(out)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=128, conv_dim=(32, 32, 32, 32, 32, 32, 32), pad_token_id=0,
                            num_feat_extract_layers=7, do_stable_layer_norm=False, feat_extract_norm="group")
    Wav2Vec2ForCTC(config).save_pretrained(out)
    return {"architecture": "Wav2Vec2ForCTC, 2 layers, hidden 64 (the real one: 12 layers, hidden 768)",
            "trained_on": "nothing: the weights are random, so its transcripts are gibberish"}
