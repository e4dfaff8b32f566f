"""Extractive question answering by hand: transformers 5 dropped the question-answering pipeline; this is its core."""
from __future__ import annotations

import torch


@torch.no_grad()
def answer_question(model, tokenizer, question: str, context: str, max_answer_tokens: int = 30) -> dict:
    """Best answer span in `context` from a *ForQuestionAnswering model's start/end logits (notebooks 01 and 02).

    Returns {"answer", "score", "start", "end"} like the old pipeline: start/end are character offsets in
    `context`, and score is P(start) * P(end) with both softmaxes taken over the context tokens only.
    """
    encoding = tokenizer(question, context, truncation="only_second", return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    in_context = torch.tensor([sid == 1 for sid in encoding.sequence_ids(0)])
    if not in_context.any():
        raise ValueError("The context is empty (or was truncated away): there is nothing to extract an answer from.")
    inputs = {name: tensor.to(model.device) for name, tensor in encoding.items()}
    outputs = model(**inputs)
    start_logits = outputs.start_logits[0].float().cpu().masked_fill(~in_context, float("-inf"))
    end_logits = outputs.end_logits[0].float().cpu().masked_fill(~in_context, float("-inf"))
    # scores[i, j] = P(start=i) * P(end=j), kept only where the span is valid: i <= j < i + max_answer_tokens.
    scores = start_logits.softmax(-1)[:, None] * end_logits.softmax(-1)[None, :]
    scores = torch.triu(scores) - torch.triu(scores, diagonal=max_answer_tokens)
    best = int(scores.argmax())
    first, last = divmod(best, scores.shape[1])
    start, end = offsets[first][0], offsets[last][1]
    return {"answer": context[start:end], "score": float(scores[first, last]), "start": start, "end": end}
