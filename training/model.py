"""CodeAdapt's code model: a small T5-style encoder-decoder, readable top to bottom.

Shape of the network
  - shared token embedding for encoder input, decoder input and the output layer (tied);
  - positions, by config: learned absolute tables (encoder: max_src, decoder: max_tgt), or
    rotary positions (RoPE) on the queries and keys of self-attention (cross-attention has
    none). Rotary cosines and sines are fixed tables indexed by position, so the decoder step
    with a key/value cache (rotated keys are cached) still exports to ONNX as plain
    Gather/MatMul/Softmax. Rotary makes "attend to the token after the one I just wrote"
    position-independent, which is what copying from the source needs (docs/training.md);
  - pre-norm blocks with RMSNorm, bias-free linear layers, gated-GELU feed-forward;
  - dropout configurable, 0 by default (mask generation is expensive on this CPU).

Hooks, all off by default so that the base is a clean denoising model:
  - NER adapters (CodeBERTER): a bottleneck adapter (down, GELU, up, residual) in every
    encoder block, after the feed-forward sublayer ("pfeiffer") or after attention and
    feed-forward ("houlsby"), plus a token-type classification (TTC) head over the label
    set on the encoder output. Enabled by `enable_ner_adapters()`.
  - Task adapters: LoRA factors on chosen linear layers of encoder and decoder, trainable
    while the base is frozen. Enabled by `enable_lora()`.
  - Workspace adapters: a low-rank delta per linear layer passed at forward time in
    `deltas = {layer_name: (A, B)}` with A: (r, d_in) and B: (d_out, r) (or with a leading
    batch dimension); the layer computes  y = W x + B (A x).  Any scale is folded into B.
    A generator (issue 7) produces these tensors; the ONNX graphs take them as inputs.

Every linear layer knows its own dotted module path (`Linear.name`, e.g.
"encoder.blocks.0.attn.q"); that path is the key in `deltas` and in adapter state dicts.
The base state dict never contains adapter tensors (see `base_state_dict`), and adapter
state dicts hold only adapter tensors (see `adapter_state_dict`).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2

Deltas = Optional[Dict[str, Tuple[torch.Tensor, torch.Tensor]]]
KV = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class ModelConfig:
    vocab_size: int = 8192
    d_model: int = 256
    n_heads: int = 4
    d_ff: int = 1024
    n_enc_layers: int = 4
    n_dec_layers: int = 4
    max_src: int = 512
    max_tgt: int = 128
    dropout: float = 0.0
    norm_eps: float = 1e-6
    num_labels: int = 20  # TTC label set (server/src/labeler/labels.ts, "ttc-v1")
    positions: str = "learned"  # "learned" (absolute tables) or "rotary" (RoPE in self-attention)
    rope_base: float = 10000.0

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        known = {f for f in ModelConfig.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        cfg = ModelConfig(**d)
        if cfg.positions not in ("learned", "rotary"):
            raise ValueError(f"positions must be learned or rotary, not {cfg.positions!r}")
        if cfg.positions == "rotary" and (cfg.d_model // cfg.n_heads) % 2:
            raise ValueError("rotary positions need an even head dimension")
        return cfg

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- layers

class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (xf * self.weight.float()).type_as(x)


class Linear(nn.Module):
    """Bias-free linear layer with optional LoRA factors and an optional per-call delta."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.d_in, self.d_out = d_in, d_out
        self.weight = nn.Parameter(torch.empty(d_out, d_in))
        nn.init.normal_(self.weight, std=0.02)
        self.name = ""  # filled in by Seq2Seq.__init__ with the dotted module path
        self.lora_A: Optional[nn.Parameter] = None
        self.lora_B: Optional[nn.Parameter] = None
        self.lora_scale = 0.0

    def add_lora(self, rank: int, alpha: float) -> None:
        self.lora_A = nn.Parameter(torch.empty(rank, self.d_in))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(self.d_out, rank))  # starts as the identity map
        self.lora_scale = alpha / rank

    def forward(self, x: torch.Tensor, deltas: Deltas = None) -> torch.Tensor:
        y = F.linear(x, self.weight)
        if self.lora_A is not None:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.lora_scale
        if deltas is not None and self.name in deltas:
            A, B = deltas[self.name]
            # A: (r, d_in) or (batch, r, d_in); B: (d_out, r) or (batch, d_out, r)
            y = y + torch.matmul(torch.matmul(x, A.transpose(-1, -2).to(x.dtype)),
                                 B.transpose(-1, -2).to(x.dtype))
        return y


class BottleneckAdapter(nn.Module):
    """y + up(gelu(down(y))); `up` starts at zero so a fresh adapter is the identity."""

    def __init__(self, d: int, bottleneck: int):
        super().__init__()
        self.down = nn.Linear(d, bottleneck)
        self.up = nn.Linear(bottleneck, d)
        nn.init.normal_(self.down.weight, std=0.02)
        nn.init.zeros_(self.down.bias)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return y + self.up(F.gelu(self.down(y)))


Rope = Optional[Tuple[torch.Tensor, torch.Tensor]]  # (cos, sin) for the rows' positions, (T, D/2)


def rotary_tables(n_pos: int, head_dim: int, base: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of position * frequency, (n_pos, head_dim/2); frequencies base^(-2i/D)."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv_freq[None]
    return torch.cos(angles).float(), torch.sin(angles).float()


def rotate(x: torch.Tensor, rope: Tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Rotate each (x_i, x_{i+D/2}) pair of x (B,H,T,D) by its position's angle."""
    cos, sin = (t.to(x.dtype) for t in rope)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """q: (B,H,Tq,D) k,v: (B,H,Tk,D) allowed: bool broadcastable to (B,H,Tq,Tk)."""
    sdpa = getattr(F, "scaled_dot_product_attention", None)  # PyTorch >= 2.0 only
    if sdpa is not None and q.is_cuda and not torch.jit.is_tracing():
        try:
            return sdpa(q, k, v, attn_mask=allowed)
        except RuntimeError:  # no fused kernel for this mask or dtype: the reference path below
            pass
    scores = torch.matmul(q, k.transpose(-1, -2)).float() * (1.0 / math.sqrt(q.shape[-1]))
    scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
    probs = torch.softmax(scores, dim=-1).to(v.dtype)
    return torch.matmul(probs, v)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.head_dim = d // cfg.n_heads
        self.q, self.k, self.v, self.o = Linear(d, d), Linear(d, d), Linear(d, d), Linear(d, d)

    def _split(self, x: torch.Tensor) -> torch.Tensor:  # (B,T,d) -> (B,H,T,D)
        B, T, _ = x.shape
        return x.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)

    def project_kv(self, mem: torch.Tensor, deltas: Deltas = None) -> KV:
        return self._split(self.k(mem, deltas)), self._split(self.v(mem, deltas))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor, kv: Optional[KV] = None,
                past: Optional[KV] = None, deltas: Deltas = None, rope: Rope = None) -> Tuple[torch.Tensor, KV]:
        """Self-attention when kv is None (past is prepended to the new keys/values);
        cross-attention over precomputed kv otherwise. With rope, the new queries and keys
        are rotated to their positions (the cache holds rotated keys). Returns output and
        the (k, v) used."""
        q = self._split(self.q(x, deltas))
        if kv is None:
            k, v = self.project_kv(x, deltas)
            if rope is not None:
                q, k = rotate(q, rope), rotate(k, rope)
            if past is not None:
                k = torch.cat([past[0].to(k.dtype), k], dim=2)
                v = torch.cat([past[1].to(v.dtype), v], dim=2)
            kv = (k, v)
        out = _attend(q, kv[0], kv[1], allowed)
        B, _, T, _ = out.shape
        out = out.transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim)
        return self.o(out, deltas), kv


class FeedForward(nn.Module):
    """Gated GELU: wo(gelu(wi0 x) * wi1 x)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.wi0 = Linear(cfg.d_model, cfg.d_ff)
        self.wi1 = Linear(cfg.d_model, cfg.d_ff)
        self.wo = Linear(cfg.d_ff, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, deltas: Deltas = None) -> torch.Tensor:
        return self.wo(self.drop(F.gelu(self.wi0(x, deltas)) * self.wi1(x, deltas)), deltas)


class EncoderBlock(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.norm1 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.norm2 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.ffn = FeedForward(cfg)
        self.drop = nn.Dropout(cfg.dropout)
        self.ner_attn: Optional[BottleneckAdapter] = None  # Houlsby placement only
        self.ner_ffn: Optional[BottleneckAdapter] = None

    def forward(self, h: torch.Tensor, allowed: torch.Tensor, deltas: Deltas = None,
                rope: Rope = None) -> torch.Tensor:
        a, _ = self.attn(self.norm1(h), allowed, deltas=deltas, rope=rope)
        if self.ner_attn is not None:
            a = self.ner_attn(a)
        h = h + self.drop(a)
        f = self.ffn(self.norm2(h), deltas)
        if self.ner_ffn is not None:
            f = self.ner_ffn(f)
        return h + self.drop(f)


class DecoderBlock(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.norm1 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.norm2 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.cross_attn = Attention(cfg)
        self.norm3 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.ffn = FeedForward(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, h: torch.Tensor, self_allowed: torch.Tensor, cross_kv: KV,
                cross_allowed: torch.Tensor, past: Optional[KV] = None,
                deltas: Deltas = None, rope: Rope = None) -> Tuple[torch.Tensor, KV]:
        a, new_kv = self.self_attn(self.norm1(h), self_allowed, past=past, deltas=deltas, rope=rope)
        h = h + self.drop(a)
        c, _ = self.cross_attn(self.norm2(h), cross_allowed, kv=cross_kv, deltas=deltas)
        h = h + self.drop(c)
        h = h + self.drop(self.ffn(self.norm3(h), deltas))
        return h, new_kv


# ----------------------------------------------------------------------------- model

class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        if d % cfg.n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        self.embed = nn.Embedding(cfg.vocab_size, d)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.enc_pos: Optional[nn.Embedding] = None
        self.dec_pos: Optional[nn.Embedding] = None
        if cfg.positions == "learned":
            self.enc_pos = nn.Embedding(cfg.max_src, d)
            self.dec_pos = nn.Embedding(cfg.max_tgt, d)
            for e in (self.enc_pos, self.dec_pos):
                nn.init.normal_(e.weight, std=0.02)
        else:  # fixed tables, not parameters: kept out of state dicts
            cos, sin = rotary_tables(max(cfg.max_src, cfg.max_tgt), d // cfg.n_heads, cfg.rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.enc_blocks = nn.ModuleList([EncoderBlock(cfg) for _ in range(cfg.n_enc_layers)])
        self.enc_norm = RMSNorm(d, cfg.norm_eps)
        self.dec_blocks = nn.ModuleList([DecoderBlock(cfg) for _ in range(cfg.n_dec_layers)])
        self.dec_norm = RMSNorm(d, cfg.norm_eps)
        self.drop = nn.Dropout(cfg.dropout)
        self.ttc_head: Optional[nn.Linear] = None
        self.adapter_config: dict = {}  # which hooks are on; saved with adapter files
        # residual output projections scaled down with depth (GPT-2 style)
        n = cfg.n_enc_layers + cfg.n_dec_layers
        for name, m in self.named_modules():
            if isinstance(m, Linear):
                m.name = name
                if name.endswith(".o") or name.endswith(".wo"):
                    nn.init.normal_(m.weight, std=0.02 / math.sqrt(2 * n))

    # -- introspection -------------------------------------------------------------
    def linear_layers(self) -> Dict[str, Linear]:
        return {n: m for n, m in self.named_modules() if isinstance(m, Linear)}

    def num_params(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    # -- hooks -----------------------------------------------------------------------
    def enable_ner_adapters(self, bottleneck: int = 64, placement: str = "pfeiffer") -> None:
        """CodeBERTER NER adapters in every encoder block plus the TTC head."""
        if placement not in ("pfeiffer", "houlsby"):
            raise ValueError(f"placement must be pfeiffer or houlsby, not {placement!r}")
        d = self.cfg.d_model
        for blk in self.enc_blocks:
            blk.ner_ffn = BottleneckAdapter(d, bottleneck)
            blk.ner_attn = BottleneckAdapter(d, bottleneck) if placement == "houlsby" else None
        self.ttc_head = nn.Linear(d, self.cfg.num_labels)
        nn.init.normal_(self.ttc_head.weight, std=0.02)
        nn.init.zeros_(self.ttc_head.bias)
        self.adapter_config["ner"] = {"bottleneck": bottleneck, "placement": placement}
        self._move_new_params()

    def enable_lora(self, rank: int = 8, alpha: float = 16.0,
                    targets: Tuple[str, ...] = ("attn.q", "attn.v", "self_attn.q", "self_attn.v",
                                                "cross_attn.q", "cross_attn.v")) -> List[str]:
        """LoRA on every linear layer whose name ends with one of `targets` (or "all")."""
        chosen = []
        for name, m in self.linear_layers().items():
            if "all" in targets or any(name.endswith(t) for t in targets):
                m.add_lora(rank, alpha)
                chosen.append(name)
        if not chosen:
            raise ValueError(f"LoRA targets {targets} matched no linear layer")
        self.adapter_config["lora"] = {"rank": rank, "alpha": alpha, "targets": list(targets)}
        self._move_new_params()
        return chosen

    def _move_new_params(self) -> None:
        ref = self.embed.weight
        self.to(device=ref.device)

    def freeze_base(self) -> None:
        """Only adapter tensors (NER adapters, TTC head, LoRA) stay trainable."""
        for name, p in self.named_parameters():
            p.requires_grad = is_adapter_param(name)

    # -- forward pieces ----------------------------------------------------------------
    def _embed(self, ids: torch.Tensor, table: Optional[nn.Embedding], pos: torch.Tensor) -> Tuple[torch.Tensor, Rope]:
        """Token embeddings of ids (B,T) at positions pos (T,): with learned positions their
        vectors are added here; with rotary ones the (cos, sin) rows for attention come back."""
        h = self.embed(ids)
        if table is not None:
            return self.drop(h + table(pos)[None]), None
        return self.drop(h), (self.rope_cos[pos], self.rope_sin[pos])

    def encode(self, src: torch.Tensor, src_mask: Optional[torch.Tensor] = None,
               deltas: Deltas = None, return_hidden: bool = False):
        """src: (B,S) int64; src_mask: (B,S) bool, True for real tokens (default src != pad).
        Returns the normed encoder output (B,S,d); with return_hidden also the list of
        hidden states entering each encoder block (for the workspace generator)."""
        B, S = src.shape
        if not torch.jit.is_tracing() and S > self.cfg.max_src:
            raise ValueError(f"source length {S} exceeds the model's limit max_src={self.cfg.max_src}")
        if src_mask is None:
            src_mask = src != PAD_ID
        h, rope = self._embed(src, self.enc_pos, torch.arange(S, device=src.device))
        allowed = src_mask[:, None, None, :]  # (B,1,1,S)
        hidden = []
        for blk in self.enc_blocks:
            hidden.append(h)
            h = blk(h, allowed, deltas, rope)
        out = self.enc_norm(h)
        return (out, hidden) if return_hidden else out

    def ttc_logits(self, enc_out: torch.Tensor) -> torch.Tensor:
        if self.ttc_head is None:
            raise RuntimeError("TTC head is not enabled: call enable_ner_adapters() or load NER adapters")
        return self.ttc_head(enc_out)

    def cross_kv(self, enc_out: torch.Tensor, deltas: Deltas = None) -> List[KV]:
        """Cross-attention keys/values of every decoder block, computed once per source."""
        return [blk.cross_attn.project_kv(enc_out, deltas) for blk in self.dec_blocks]

    def decode(self, tgt: torch.Tensor, cross_kv: List[KV], src_mask: torch.Tensor,
               past: Optional[List[KV]] = None, deltas: Deltas = None, return_hidden: bool = False
               ) -> Tuple[torch.Tensor, List[KV]]:
        """tgt: (B,T) new decoder tokens; past: per-block self-attention (k, v) of the
        previous tokens, (B,H,P,D) each, or None. Returns logits (B,T,V) (or, with
        return_hidden, the normed hidden states (B,T,d) that lm_head maps to logits) and
        the new cache."""
        B, T = tgt.shape
        P = 0 if past is None else past[0][0].shape[2]
        if not torch.jit.is_tracing() and P + T > self.cfg.max_tgt:
            raise ValueError(f"target length {P + T} exceeds the model's limit max_tgt={self.cfg.max_tgt}")
        q_pos = torch.arange(T, device=tgt.device) + P
        k_pos = torch.arange(P + T, device=tgt.device)
        self_allowed = (k_pos[None, :] <= q_pos[:, None])[None, None]  # (1,1,T,P+T)
        cross_allowed = src_mask[:, None, None, :]
        h, rope = self._embed(tgt, self.dec_pos, q_pos)
        new_past = []
        for i, blk in enumerate(self.dec_blocks):
            h, kv = blk(h, self_allowed, cross_kv[i], cross_allowed,
                        None if past is None else past[i], deltas, rope)
            new_past.append(kv)
        h = self.dec_norm(h)
        return (h if return_hidden else self.lm_head(h)), new_past

    def lm_head(self, h: torch.Tensor) -> torch.Tensor:
        """Output layer, tied to the input embedding."""
        return F.linear(h, self.embed.weight)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, deltas: Deltas = None,
                logits_at: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Teacher-forced logits (B,T,V) for decoder inputs tgt_in; with a bool mask
        logits_at (B,T), only the logits at those positions, (N,V) in row-major order
        (training skips the output layer on padding: it is most of a step's FLOPs)."""
        src_mask = src != PAD_ID
        enc = self.encode(src, src_mask, deltas)
        h, _ = self.decode(tgt_in, self.cross_kv(enc, deltas), src_mask, deltas=deltas, return_hidden=True)
        if logits_at is not None:
            h = h[logits_at]
        return self.lm_head(h)

    @torch.no_grad()
    def generate(self, src: torch.Tensor, max_len: int = 48, deltas: Deltas = None) -> torch.Tensor:
        """Greedy decoding with the KV cache (torch-side path for validation)."""
        src_mask = src != PAD_ID
        enc = self.encode(src, src_mask, deltas)
        ckv = self.cross_kv(enc, deltas)
        B = src.shape[0]
        tok = torch.full((B, 1), BOS_ID, dtype=torch.long, device=src.device)
        out, past = [], None
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        for _ in range(min(max_len, self.cfg.max_tgt)):
            logits, past = self.decode(tok, ckv, src_mask, past, deltas)
            tok = logits[:, -1].argmax(-1, keepdim=True)
            tok = tok.masked_fill(done[:, None], PAD_ID)
            out.append(tok)
            done = done | (tok[:, 0] == EOS_ID)
            if bool(done.all()):
                break
        return torch.cat(out, dim=1)


# ----------------------------------------------------------------------------- state dicts

def is_adapter_param(name: str) -> bool:
    return ".ner_" in name or name.startswith("ttc_head") or ".lora_" in name


def base_state_dict(model: Seq2Seq) -> Dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if not is_adapter_param(k)}


def adapter_state_dict(model: Seq2Seq, kind: str) -> Dict[str, torch.Tensor]:
    """kind: "ner" (NER adapters + TTC head) or "lora" (task adapters)."""
    if kind == "ner":
        keep = lambda k: ".ner_" in k or k.startswith("ttc_head")
    elif kind == "lora":
        keep = lambda k: ".lora_" in k
    else:
        raise ValueError(f"unknown adapter kind {kind!r}")
    return {k: v.detach().clone() for k, v in model.state_dict().items() if keep(k)}


def load_adapter_state_dict(model: Seq2Seq, sd: Dict[str, torch.Tensor]) -> None:
    """Load adapter tensors into a model whose adapters are already enabled with the
    same shapes; every tensor must find its place (no silent partial loads)."""
    own = model.state_dict()
    missing = [k for k in sd if k not in own]
    if missing:
        raise KeyError(f"adapter tensors with no place in this model (enable the adapter first?): {missing[:5]}")
    for k, v in sd.items():
        if own[k].shape != v.shape:
            raise ValueError(f"adapter tensor {k}: shape {tuple(v.shape)} != model {tuple(own[k].shape)}")
    model.load_state_dict(sd, strict=False)
