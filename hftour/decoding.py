"""Decoding strategies that transformers 5 moved out of the library, written to be read, for notebook 04.

transformers 5 no longer ships contrastive search (`penalty_alpha`) or diverse/group beam search (`num_beam_groups`):
it points to code on the Hub instead. `generate` still accepts any Python function as `custom_generate`, and calls it
after preparing everything (inputs, generation config, logits processors, stopping criteria):

    model.generate(**inputs, penalty_alpha=0.6, top_k=4, custom_generate=contrastive_search)
    model.generate(**inputs, num_beams=5, num_beam_groups=5, diversity_penalty=1.0, custom_generate=group_beam_search)

Both run the model on the whole sequence at every step (no key/value cache): slower, but each step reads as the
algorithm is described. Fine for the short texts of the notebooks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


# ---- shared pieces ------------------------------------------------------------
def _mask_and_positions(input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The attention mask (all ones when generate dropped it) and position ids that skip left padding."""
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    positions = attention_mask.long().cumsum(-1) - 1
    return attention_mask, positions.clamp(min=0)


def _forward(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, hidden: bool = False):
    """One full forward pass over the sequences so far (no cache)."""
    mask, positions = _mask_and_positions(input_ids, attention_mask)
    return model(input_ids=input_ids, attention_mask=mask, position_ids=positions, output_hidden_states=hidden,
                 use_cache=False)


def _pad_id(generation_config) -> int:
    """The id written after a sequence has finished (generate sets pad to eos for GPT-2)."""
    pad, eos = generation_config._pad_token_tensor, generation_config._eos_token_tensor
    if pad is not None:
        return int(pad)
    return int(eos.flatten()[0]) if eos is not None else 0


# ---- contrastive search ---------------------------------------------------------
@torch.no_grad()
def contrastive_search(model, input_ids: torch.LongTensor, logits_processor, stopping_criteria, generation_config,
                       **model_kwargs) -> torch.LongTensor:
    """Contrastive search (Su et al., 2022) for `generate(custom_generate=...)`; used in notebook 04.

    At each step take the `top_k` most probable next tokens; for each candidate v compute
        score(v) = (1 - alpha) * p(v) - alpha * max_j cos(h_v, h_j)
    where h_v is the model's last hidden state at v and h_j those of every earlier token. The penalty pushes away
    from tokens whose representation repeats something already said. alpha = 0 is greedy decoding.
    """
    alpha = generation_config.penalty_alpha or 0.0
    k = generation_config.top_k or 1
    pad = _pad_id(generation_config)
    batch = input_ids.shape[0]
    mask, _ = _mask_and_positions(input_ids, model_kwargs.get("attention_mask"))
    unfinished = torch.ones(batch, dtype=torch.bool, device=input_ids.device)
    logits = _forward(model, input_ids, mask).logits[:, -1, :].float()
    while True:
        scores = logits_processor(input_ids, logits)
        top_probs, top_ids = F.softmax(scores, dim=-1).topk(k, dim=-1)  # (batch, k)
        # every candidate appended to its sequence: batch*k sequences, one forward pass for all of them
        cand_ids = torch.cat([input_ids.repeat_interleave(k, 0), top_ids.reshape(-1, 1)], dim=-1)
        cand_mask = torch.cat([mask.repeat_interleave(k, 0), mask.new_ones(batch * k, 1)], dim=-1)
        out = _forward(model, cand_ids, cand_mask, hidden=True)
        last = out.hidden_states[-1].float()
        context, new = F.normalize(last[:, :-1], dim=-1), F.normalize(last[:, -1:], dim=-1)
        cosine = (context @ new.transpose(1, 2)).squeeze(-1)  # (batch*k, length)
        cosine = cosine.masked_fill(cand_mask[:, :-1] == 0, -2.0)  # padding is never "said before"
        penalty = cosine.max(dim=-1).values.view(batch, k)
        best = ((1 - alpha) * top_probs - alpha * penalty).argmax(dim=-1)  # (batch,)
        rows = torch.arange(batch, device=input_ids.device) * k + best
        next_tokens = torch.where(unfinished, top_ids.gather(1, best[:, None]).squeeze(1), pad)
        input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)
        mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=-1)
        logits = out.logits[rows, -1, :].float()  # the chosen candidate's forward pass already predicts the next token
        unfinished &= ~stopping_criteria(input_ids, scores)
        if not unfinished.any():
            return input_ids


# ---- diverse (group) beam search ---------------------------------------------
@torch.no_grad()
def group_beam_search(model, input_ids: torch.LongTensor, logits_processor, stopping_criteria, generation_config,
                      **model_kwargs) -> torch.LongTensor:
    """Diverse beam search (Vijayakumar et al., 2016) for `generate(custom_generate=...)`; used in notebook 04.

    The `num_beams` beams are split into `num_beam_groups` groups that run beam search side by side. At every step
    the groups choose in turn, and a group pays `diversity_penalty` (in log-probability) for each time an earlier
    group already picked the same token at this step. With one group this is ordinary beam search, with the same
    rules as transformers' own (finished hypotheses, length_penalty, early_stopping).
    """
    num_beams = generation_config.num_beams
    groups = generation_config.num_beam_groups or 1
    if num_beams % groups:
        raise ValueError(f"num_beams ({num_beams}) must be divisible by num_beam_groups ({groups})")
    size = num_beams // groups  # beams per group
    diversity = generation_config.diversity_penalty or 0.0
    length_penalty = generation_config.length_penalty
    early_stopping = generation_config.early_stopping
    max_length = generation_config.max_length
    keep = generation_config.num_return_sequences
    pad = _pad_id(generation_config)
    batch = input_ids.shape[0] // num_beams
    prompt_len = input_ids.shape[1]
    mask, _ = _mask_and_positions(input_ids, model_kwargs.get("attention_mask"))

    # running beams: sequences (batch*num_beams rows) and their summed log-probabilities. All beams of a group
    # start identical, so only the first beam of each group counts at step one.
    scores = torch.zeros(batch, groups, size)
    scores[:, :, 1:] = -1e9
    finished: list[list[list[tuple[float, list[int]]]]] = [[[] for _ in range(groups)] for _ in range(batch)]
    still_improving = [[True] * groups for _ in range(batch)]

    while True:
        logits = _forward(model, input_ids, mask).logits[:, -1, :].float()
        log_probs = logits_processor(input_ids, F.log_softmax(logits, dim=-1))
        vocab = log_probs.shape[-1]
        log_probs = log_probs.view(batch, groups, size, vocab)
        next_rows = torch.zeros(batch, groups, size, dtype=torch.long)  # which running beam each new beam extends
        next_tokens = torch.zeros(batch, groups, size, dtype=torch.long)
        new_scores = torch.full((batch, groups, size), -1e9)
        all_stopped = True
        for b in range(batch):
            chosen_this_step = torch.zeros(vocab)  # how often earlier groups picked each token at this step
            for g in range(groups):
                total = log_probs[b, g] - diversity * chosen_this_step + scores[b, g, :, None]
                top, flat = total.view(-1).topk(2 * size)  # twice the group size, so enough candidates survive
                beam, token = flat // vocab, flat % vocab
                rows = b * num_beams + g * size + beam
                candidates = torch.cat([input_ids[rows], token[:, None]], dim=-1)
                stops = stopping_criteria(candidates, None)  # hits eos, max_length, ...
                all_stopped &= bool(stops.all())
                length = candidates.shape[1] - prompt_len
                if still_improving[b][g] and not (early_stopping is True and len(finished[b][g]) == size):
                    for rank in range(size):  # only the group's top `size` candidates may finish
                        if stops[rank]:
                            finished[b][g].append((top[rank].item() / length ** length_penalty,
                                                   candidates[rank].tolist()))
                    finished[b][g] = sorted(finished[b][g], key=lambda h: -h[0])[:size]
                alive = [i for i in range(2 * size) if not stops[i]][:size]
                for slot, i in enumerate(alive):
                    next_rows[b, g, slot], next_tokens[b, g, slot], new_scores[b, g, slot] = rows[i], token[i], top[i]
                chosen_this_step += torch.bincount(next_tokens[b, g, :len(alive)], minlength=vocab).float()
        rows = next_rows.view(-1)
        input_ids = torch.cat([input_ids[rows], next_tokens.view(-1, 1)], dim=-1)
        mask = torch.cat([mask[rows], mask.new_ones(len(rows), 1)], dim=-1)
        scores = new_scores
        # stop when no running beam can beat the worst kept hypothesis any more (transformers' heuristic)
        generated = input_ids.shape[1] - prompt_len
        for b in range(batch):
            for g in range(groups):
                hyps = finished[b][g]
                if len(hyps) == size:
                    best_possible = scores[b, g, 0].item() / _best_length(generated, max_length - prompt_len,
                                                                          early_stopping, length_penalty) ** length_penalty
                    if best_possible <= hyps[-1][0]:
                        still_improving[b][g] = False
        groups_done = [[not still_improving[b][g] or (early_stopping is True and len(finished[b][g]) == size)
                        for g in range(groups)] for b in range(batch)]
        if all_stopped or all(all(row) for row in groups_done):
            break

    results = []
    for b in range(batch):
        hyps = sorted((h for g in range(groups) for h in finished[b][g]), key=lambda h: -h[0])[:keep]
        results += [ids for _, ids in hyps]
    width = max(len(ids) for ids in results)
    return torch.tensor([ids + [pad] * (width - len(ids)) for ids in results], device=input_ids.device)


def _best_length(generated: int, most: int, early_stopping, length_penalty: float) -> int:
    """The length at which a running beam is assumed to reach its best score (the early-stopping heuristic)."""
    return most if early_stopping == "never" and length_penalty > 0 else generated
