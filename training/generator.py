"""Workspace adapter generators: a project's own code -> low-rank deltas, in one forward pass.

GenerativeAdapter form (Chen et al., ICLR 2025), on our frozen encoder-decoder:
  for each delta slot s (a square attention projection, see export.delta_slots) and the hidden
  states H (T x d) of the context tokens that reach that slot's layer,
      K = rmsnorm(H) A2_s^T      (T x R1)
      V = rmsnorm(H) A3_s^T      (T x R2)
      S_s = sum over every context token of K^T V        (R1 x R2; additive over chunks)
      N_s = orthogonalize(S_s)   Newton-Schulz iterations on S / ||S||_F (exports to ONNX)
      delta_A_s = N_s^T A1_s     (R2 x d)      delta_B_s = B_s (d x R2), B_s initialised at 0
  so the layer computes  y = W x + delta_B (delta_A x).  S is a plain sum, so streaming, file
  by file updates and removals are exact, and its size does not grow with the workspace.
  Hidden states: an encoder slot in block l reads the states entering block l; decoder slots
  read the encoder's final output.

StreamAdapter form (arXiv 2411.09289), the second generator compared on the same data:
  m learned queries cross-attend each chunk's final encoder states; a gated recurrence folds
  the chunk summaries into a fixed m x d memory M (recomputed from the first changed chunk on
  an edit, since the recurrence cannot be subtracted); delta_A_s = rmsnorm(M) P_s (m x d),
  delta_B_s = B_s (d x m), B_s initialised at 0.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from model import RMSNorm, Seq2Seq


def slot_layers(model: Seq2Seq, slots: List[str]) -> List[int]:
    """For each slot, which hidden states feed it: encoder block index, or -1 (final output)."""
    out = []
    for name in slots:
        if name.startswith("enc_blocks."):
            out.append(int(name.split(".")[1]))
        else:
            out.append(-1)
    return out


def newton_schulz(S: torch.Tensor, steps: int = 6, eps: float = 1e-6) -> torch.Tensor:
    """Approximate orthogonal polar factor of each matrix in S (..., R1, R2).
    Scale-free: S is divided by its Frobenius norm first; a zero S gives a zero factor."""
    X = S / (S.flatten(-2).norm(dim=-1)[..., None, None] + eps)
    transpose = X.shape[-2] < X.shape[-1]
    if transpose:
        X = X.transpose(-1, -2)
    for _ in range(steps):
        X = 1.5 * X - 0.5 * X @ (X.transpose(-1, -2) @ X)
    return X.transpose(-1, -2) if transpose else X


def context_states(model: Seq2Seq, ids: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Frozen encoder over context chunks: (hidden entering each block, final output, mask)."""
    mask = ids != 0
    with torch.no_grad():
        out, hidden = model.encode(ids, mask, return_hidden=True)
    return hidden, out, mask


class GenerativeAdapter(nn.Module):
    def __init__(self, model: Seq2Seq, slots: List[str], r1: int = 16, r2: int = 8, alpha: float = 1.0):
        super().__init__()
        d, n = model.cfg.d_model, len(slots)
        self.slots, self.layers = slots, slot_layers(model, slots)
        self.r1, self.r2, self.alpha = r1, r2, alpha
        self.norm = nn.ModuleList([RMSNorm(d, model.cfg.norm_eps) for _ in range(model.cfg.n_enc_layers + 1)])
        self.A1 = nn.Parameter(torch.randn(n, r1, d) / math.sqrt(d))
        self.A2 = nn.Parameter(torch.randn(n, r1, d) / math.sqrt(d))
        self.A3 = nn.Parameter(torch.randn(n, r2, d) / math.sqrt(d))
        self.B = nn.Parameter(torch.zeros(n, d, r2))

    def _states_for(self, hidden: List[torch.Tensor], out: torch.Tensor, layer: int) -> torch.Tensor:
        h = out if layer < 0 else hidden[layer]
        return self.norm[layer].forward(h) if layer >= 0 else self.norm[-1](h)

    def contribution(self, hidden: List[torch.Tensor], out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sum over the given chunks of K^T V for every slot: (n, R1, R2)."""
        return self.chunk_contributions(hidden, out, mask).sum(0)

    def chunk_contributions(self, hidden: List[torch.Tensor], out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """K^T V of each chunk separately, for every slot: (chunks, n, R1, R2). Kept per chunk
        so the runtime can cache each function's share and subtract it after an edit."""
        m = mask[..., None].to(out.dtype)
        parts = []
        for i, layer in enumerate(self.layers):
            h = self._states_for(hidden, out, layer) * m          # (B, T, d), pads zeroed
            k = h @ self.A2[i].t()                                 # (B, T, R1)
            v = h @ self.A3[i].t()                                 # (B, T, R2)
            parts.append(torch.einsum("btr,bts->brs", k.float(), v.float()))
        return torch.stack(parts, dim=1)

    def deltas(self, S: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """State -> packed deltas delta_A (n, R2, d), delta_B (n, d, R2)."""
        N = newton_schulz(S)                                       # (n, R1, R2)
        A = N.transpose(-1, -2) @ self.A1                          # (n, R2, d)
        # "+ 0 * S.sum()" ties B to the input so an exported graph names it as an output.
        return A, self.B * self.alpha + 0.0 * S.sum()

    def forward(self, model: Seq2Seq, context_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        hidden, out, mask = context_states(model, context_ids)
        return self.deltas(self.contribution(hidden, out, mask))


class StreamAdapter(nn.Module):
    def __init__(self, model: Seq2Seq, slots: List[str], queries: int = 8, alpha: float = 1.0):
        super().__init__()
        d, n = model.cfg.d_model, len(slots)
        self.slots, self.m, self.alpha = slots, queries, alpha
        self.q = nn.Parameter(torch.randn(queries, d) / math.sqrt(d))
        self.kv_norm = RMSNorm(d, model.cfg.norm_eps)
        self.gate = nn.Linear(2 * d, d)
        nn.init.zeros_(self.gate.weight)
        nn.init.constant_(self.gate.bias, 0.0)
        self.mem_norm = RMSNorm(d, model.cfg.norm_eps)
        self.P = nn.Parameter(torch.randn(n, d, d) / math.sqrt(d))
        self.B = nn.Parameter(torch.zeros(n, d, queries))

    def chunk_summary(self, out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Learned queries attend over one chunk's tokens: (B, m, d) per chunk."""
        h = self.kv_norm(out)
        scores = torch.einsum("md,btd->bmt", self.q, h) / math.sqrt(h.shape[-1])
        scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)
        return torch.einsum("bmt,btd->bmd", scores.softmax(-1), h)

    def step(self, memory: Optional[torch.Tensor], summary: torch.Tensor) -> torch.Tensor:
        if memory is None:
            return summary
        g = torch.sigmoid(self.gate(torch.cat([memory, summary], dim=-1)))
        return g * memory + (1 - g) * summary

    def deltas(self, memory: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        M = self.mem_norm(memory)                                  # (m, d)
        # / sqrt(d): rows of M have unit RMS, so without it A's rows grow with d and the first
        # updates of B (starting at 0) blew the loss up (7.7 vs 5.0 for the generative form).
        A = torch.einsum("md,nde->nme", M, self.P) / math.sqrt(M.shape[-1])  # (n, m, d)
        return A, self.B * self.alpha

    def forward(self, model: Seq2Seq, context_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """context_ids: (C, T) chunks of one workspace, folded in order."""
        _, out, mask = context_states(model, context_ids)
        memory = None
        for c in range(out.shape[0]):
            memory = self.step(memory, self.chunk_summary(out[c:c + 1], mask[c:c + 1])[0])
        return self.deltas(memory)


def as_delta_dict(slots: List[str], A: torch.Tensor, B: torch.Tensor) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    return {name: (A[i], B[i]) for i, name in enumerate(slots)}
