"""Export CodeAdapt's model to ONNX (opset 17) for the TypeScript runtime.

Two graphs share one contract (docs/onnx-contract.md). Adapters are graph *inputs*, so the
runtime switches a task, NER or workspace adapter by feeding other tensors, never by
rebuilding a session:

  encoder.onnx
    in : input_ids int64 [B,S], attention_mask int64 [B,S] (1 = token, 0 = pad),
         delta_A f32 [N,r,d], delta_B f32 [N,d,r]        low-rank deltas on the N attention
                                                          projections ("slots", manifest order)
         ner_down_w f32 [L,b,d], ner_down_b [L,b], ner_up_w [L,d,b], ner_up_b [L,d]
                                                          Pfeiffer NER adapter per encoder block
         ttc_w f32 [C,d], ttc_b [C]                       token-type head
    out: cross_kv f32 [D,2,B,H,S,h]   cross-attention keys/values of the D decoder blocks
         ttc_logits f32 [B,S,C]
         hidden f32 [L+1,B,S,d]       states entering each encoder block, then the final output
                                      (what the workspace generator reads)
  decoder.onnx (T new tokens after a self-attention cache of P)
    in : input_ids int64 [B,T], encoder_mask int64 [B,S], cross_kv, past_kv f32 [D,2,B,H,P,h]
         (P = 0 on the first step), delta_A, delta_B
    out: logits f32 [B,T,V], present_kv f32 [D,2,B,H,P+T,h],
         hidden f32 [B,T,d]           the normed states the output layer maps to logits (the keys
                                      of the workspace memory, server/src/workspace/memory.ts)
         Generation feeds T = 1; scoring a known target feeds all its tokens at once
         (causal: position t sees the cache and tokens up to t). Contract: "decoder_block": true,
         "decoder_hidden": true.

Zero adapters are exact no-ops (an up-projection or B of zeros), so "no adapter" is data too.
A LoRA adapter trained with scale s is fed as A = lora_A, B = s * lora_B; two adapters on the
same slots are fed concatenated along r.

  /usr/bin/python3 training/export.py --base RUN/base.pt --out models/ [--check]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, Seq2Seq  # noqa: E402

OPSET = 17


def delta_slots(model: Seq2Seq) -> List[str]:
    """The square attention projections that take low-rank deltas, in a fixed order."""
    d = model.cfg.d_model
    return [name for name, lin in model.linear_layers().items()
            if lin.d_in == d and lin.d_out == d and name.rsplit(".", 1)[-1] in ("q", "k", "v", "o")]


def unpack_deltas(slots: List[str], A: torch.Tensor, B: torch.Tensor) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    return {name: (A[i], B[i]) for i, name in enumerate(slots)}


class FedAdapter(nn.Module):
    """A bottleneck adapter whose weights arrive as tensors at call time."""

    def __init__(self):
        super().__init__()
        self.weights: Tuple[torch.Tensor, ...] = ()

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        down_w, down_b, up_w, up_b = self.weights
        return y + F.linear(F.gelu(F.linear(y, down_w, down_b)), up_w, up_b)


class EncoderGraph(nn.Module):
    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model
        self.slots = delta_slots(model)
        self.adapters = nn.ModuleList([FedAdapter() for _ in model.enc_blocks])

    def forward(self, input_ids, attention_mask, delta_A, delta_B,
                ner_down_w, ner_down_b, ner_up_w, ner_up_b, ttc_w, ttc_b):
        deltas = unpack_deltas(self.slots, delta_A, delta_B)
        blocks = self.model.enc_blocks
        saved = [(blk.ner_ffn, blk.ner_attn) for blk in blocks]
        try:
            for i, (blk, adapter) in enumerate(zip(blocks, self.adapters)):
                adapter.weights = (ner_down_w[i], ner_down_b[i], ner_up_w[i], ner_up_b[i])
                blk.ner_ffn, blk.ner_attn = adapter, None
            enc, entering = self.model.encode(input_ids, attention_mask > 0, deltas, return_hidden=True)
        finally:
            for blk, (ffn, attn) in zip(blocks, saved):
                blk.ner_ffn, blk.ner_attn = ffn, attn
        kv = [torch.stack(pair) for pair in self.model.cross_kv(enc, deltas)]
        return torch.stack(kv), F.linear(enc, ttc_w, ttc_b), torch.stack(entering + [enc])


class DecoderGraph(nn.Module):
    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model
        self.slots = delta_slots(model)

    def forward(self, input_ids, encoder_mask, cross_kv, past_kv, delta_A, delta_B):
        deltas = unpack_deltas(self.slots, delta_A, delta_B)
        n = cross_kv.shape[0]
        cross = [(cross_kv[i, 0], cross_kv[i, 1]) for i in range(n)]
        past = [(past_kv[i, 0], past_kv[i, 1]) for i in range(n)]
        hidden, present = self.model.decode(input_ids, cross, encoder_mask > 0, past, deltas, return_hidden=True)
        return self.model.lm_head(hidden), torch.stack([torch.stack(kv) for kv in present]), hidden


def neutral_inputs(model: Seq2Seq, batch: int = 1, src_len: int = 7, rank: int = 1, bottleneck: int = 1):
    """Inputs that leave the base model unchanged: zero deltas, zero NER up-projection."""
    cfg = model.cfg
    d, L, D, H = cfg.d_model, cfg.n_enc_layers, cfg.n_dec_layers, cfg.n_heads
    n = len(delta_slots(model))
    return {
        "input_ids": torch.randint(4, cfg.vocab_size, (batch, src_len)),
        "attention_mask": torch.ones(batch, src_len, dtype=torch.long),
        "delta_A": torch.zeros(n, rank, d), "delta_B": torch.zeros(n, d, rank),
        "ner_down_w": torch.zeros(L, bottleneck, d), "ner_down_b": torch.zeros(L, bottleneck),
        "ner_up_w": torch.zeros(L, d, bottleneck), "ner_up_b": torch.zeros(L, d),
        "ttc_w": torch.zeros(cfg.num_labels, d), "ttc_b": torch.zeros(cfg.num_labels),
        "past_kv": torch.zeros(D, 2, batch, H, 0, d // H),
    }


ENCODER_INPUTS = ["input_ids", "attention_mask", "delta_A", "delta_B", "ner_down_w", "ner_down_b",
                  "ner_up_w", "ner_up_b", "ttc_w", "ttc_b"]
DECODER_INPUTS = ["input_ids", "encoder_mask", "cross_kv", "past_kv", "delta_A", "delta_B"]


def export(model: Seq2Seq, out_dir: str) -> Dict[str, str]:
    model = model.float().eval()
    os.makedirs(out_dir, exist_ok=True)
    x = neutral_inputs(model)
    enc_path, dec_path = os.path.join(out_dir, "encoder.onnx"), os.path.join(out_dir, "decoder.onnx")
    encoder = EncoderGraph(model)
    with torch.no_grad():
        enc_args = tuple(x[k] for k in ENCODER_INPUTS)
        torch.onnx.export(
            encoder, enc_args, enc_path, opset_version=OPSET, input_names=ENCODER_INPUTS,
            output_names=["cross_kv", "ttc_logits", "hidden"],
            dynamic_axes={"input_ids": {0: "batch", 1: "src"}, "attention_mask": {0: "batch", 1: "src"},
                          "delta_A": {1: "rank"}, "delta_B": {2: "rank"},
                          "ner_down_w": {1: "bottleneck"}, "ner_down_b": {1: "bottleneck"},
                          "ner_up_w": {2: "bottleneck"},
                          "cross_kv": {2: "batch", 4: "src"}, "ttc_logits": {0: "batch", 1: "src"},
                          "hidden": {1: "batch", 2: "src"}})
        cross_kv, _, _ = encoder(*enc_args)
        # Cross-attention K/V of the first step, 2 new tokens after a cache of 3, so T and P are symbolic.
        decoder = DecoderGraph(model)
        D, H, h = model.cfg.n_dec_layers, model.cfg.n_heads, model.cfg.d_model // model.cfg.n_heads
        dec_args = (torch.tensor([[1, 5]]), x["attention_mask"], cross_kv, torch.zeros(D, 2, 1, H, 3, h),
                    x["delta_A"], x["delta_B"])
        torch.onnx.export(
            decoder, dec_args, dec_path, opset_version=OPSET, input_names=DECODER_INPUTS,
            output_names=["logits", "present_kv", "hidden"],
            dynamic_axes={"input_ids": {0: "batch", 1: "steps"}, "encoder_mask": {0: "batch", 1: "src"},
                          "cross_kv": {2: "batch", 4: "src"}, "past_kv": {2: "batch", 4: "past"},
                          "delta_A": {1: "rank"}, "delta_B": {2: "rank"},
                          "logits": {0: "batch", 1: "steps"}, "present_kv": {2: "batch", 4: "total"},
                          "hidden": {0: "batch", 1: "steps"}})
    return {"encoder": enc_path, "decoder": dec_path}


MEMORY_SEARCH = "memory-search.onnx"
MEMORY_MIX = "memory-mix.onnx"
MATMUL = "matmul.onnx"


def _cosine_nodes():
    """Nodes shared by both memory graphs: the keys (uint8, the int8 key plus 128, with a zero point
    of 128: the same products, by onnxruntime's faster uint8 x int8 kernel) times the int8 query,
    scaled by the keys' inverse norms -> `scores` [n]; with their inputs and constants."""
    from onnx import TensorProto as T, helper
    nodes = [
        helper.make_node("MatMulInteger", ["keys_u8", "query", "keys_zero_point"], ["dots"]),
        helper.make_node("Cast", ["dots"], ["dots_f"], to=T.FLOAT),
        helper.make_node("Mul", ["dots_f", "inverse_norms"], ["scaled"]),
        helper.make_node("Squeeze", ["scaled", "last_axis"], ["scores"]),
    ]
    inputs = [helper.make_tensor_value_info("keys_u8", T.UINT8, ["n", "d"]),
              helper.make_tensor_value_info("query", T.INT8, ["d", 1]),
              helper.make_tensor_value_info("inverse_norms", T.FLOAT, ["n", 1])]
    constants = [helper.make_tensor("last_axis", T.INT64, [1], [1]),
                 helper.make_tensor("keys_zero_point", T.UINT8, [], [128])]
    return nodes, inputs, constants


def _save_graph(nodes, name: str, inputs, outputs, constants, path: str) -> str:
    import onnx
    from onnx import helper
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="codeadapt")
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def export_memory_search(out_dir: str) -> str:
    """The workspace memory's nearest-neighbour search as a graph, so onnxruntime's integer kernels
    do it (server/src/engine/memorySearch.ts): keys uint8 [n,d], query int8 [d,1] and inverse norms
    [n,1] -> the k best cosine similarities [k] (times the int8 query's norm) and their rows [k].
    It has no weights, so every model of any width shares it."""
    from onnx import TensorProto as T, helper
    nodes, inputs, constants = _cosine_nodes()
    nodes.append(helper.make_node("TopK", ["scores", "k"], ["similarity", "index"], axis=0))
    return _save_graph(nodes, "memory_search", inputs + [helper.make_tensor_value_info("k", T.INT64, [1])],
                       [helper.make_tensor_value_info("similarity", T.FLOAT, ["k_out"]),
                        helper.make_tensor_value_info("index", T.INT64, ["k_out"])],
                       constants, os.path.join(out_dir, MEMORY_SEARCH))


def export_memory_mix(out_dir: str) -> str:
    """The workspace memory's whole step as one graph (server/src/workspace/memory.ts, `mix`): the
    search above, then softmax(similarity / temperature) over the k neighbours, their tokens' mass
    added to the model's distribution, all in log space:
      out[t] = log((1 - lambda) p(t) + lambda m(t))   where m(t) > 0,   log((1 - lambda) p(t)) elsewhere.
    Inputs: those of the search, query_scale [1] (1 / the int8 query's norm), values int32 [n]
    (each entry's token), k [1], logits [1,V], lambda_ [1], temperature [1]. Output: mixed [1,V].
    One onnxruntime call per decoding step instead of a search call and a JavaScript pass over the
    vocabulary."""
    from onnx import TensorProto as T, helper
    nodes, inputs, constants = _cosine_nodes()
    nodes += [
        helper.make_node("Mul", ["scores", "query_scale"], ["cosines"]),
        helper.make_node("TopK", ["cosines", "k"], ["similarity", "index"], axis=0),
        helper.make_node("Div", ["similarity", "temperature"], ["sharpened"]),
        helper.make_node("Softmax", ["sharpened"], ["weights"], axis=0),
        helper.make_node("Mul", ["weights", "lambda_"], ["mass"]),
        helper.make_node("Gather", ["values", "index"], ["tokens"], axis=0),
        helper.make_node("Unsqueeze", ["tokens", "first_axis"], ["tokens_row"]),
        helper.make_node("Unsqueeze", ["mass", "first_axis"], ["mass_row"]),
        helper.make_node("Shape", ["logits"], ["vocab_shape"]),
        helper.make_node("ConstantOfShape", ["vocab_shape"], ["zeros"],
                         value=helper.make_tensor("zero", T.FLOAT, [1], [0.0])),
        helper.make_node("ScatterElements", ["zeros", "tokens_row", "mass_row"], ["memory_p"], axis=1, reduction="add"),
        helper.make_node("LogSoftmax", ["logits"], ["log_p"], axis=1),
        helper.make_node("Sub", ["one", "lambda_"], ["keep"]),
        helper.make_node("Log", ["keep"], ["log_keep"]),
        helper.make_node("Add", ["log_p", "log_keep"], ["model_part"]),
        helper.make_node("Exp", ["model_part"], ["model_p"]),
        helper.make_node("Add", ["model_p", "memory_p"], ["sum_p"]),
        helper.make_node("Log", ["sum_p"], ["log_sum"]),
        helper.make_node("Greater", ["memory_p", "zero_f"], ["from_memory"]),
        # Elsewhere the model's own log-probability, exact even where exp() underflows.
        helper.make_node("Where", ["from_memory", "log_sum", "model_part"], ["mixed"]),
    ]
    inputs += [helper.make_tensor_value_info("query_scale", T.FLOAT, [1]),
               helper.make_tensor_value_info("values", T.INT32, ["n"]),
               helper.make_tensor_value_info("k", T.INT64, [1]),
               helper.make_tensor_value_info("logits", T.FLOAT, [1, "V"]),
               helper.make_tensor_value_info("lambda_", T.FLOAT, [1]),
               helper.make_tensor_value_info("temperature", T.FLOAT, [1])]
    constants += [helper.make_tensor("first_axis", T.INT64, [1], [0]),
                  helper.make_tensor("one", T.FLOAT, [1], [1.0]),
                  helper.make_tensor("zero_f", T.FLOAT, [], [0.0])]
    return _save_graph(nodes, "memory_mix", inputs, [helper.make_tensor_value_info("mixed", T.FLOAT, [1, "V"])],
                       constants, os.path.join(out_dir, MEMORY_MIX))


def export_matmul(out_dir: str) -> str:
    """A plain float32 product a [m,k] x b [k,n] -> c [m,n], for the workspace's output-layer adapter
    (server/src/workspace/outputAdapter.ts): each function's Gram matrix as it is added or removed,
    and each decoding step's product with the per-token sums. onnxruntime's kernels do either many
    times faster than a JavaScript loop. No weights: every model shares it."""
    from onnx import TensorProto as T, helper
    return _save_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
                       [helper.make_tensor_value_info("a", T.FLOAT, ["m", "k"]),
                        helper.make_tensor_value_info("b", T.FLOAT, ["k", "n"])],
                       [helper.make_tensor_value_info("c", T.FLOAT, ["m", "n"])], [], os.path.join(out_dir, MATMUL))


def contract(model: Seq2Seq) -> dict:
    cfg = model.cfg
    return {"opset": OPSET, "slots": delta_slots(model), "d_model": cfg.d_model, "n_heads": cfg.n_heads,
            "n_enc_layers": cfg.n_enc_layers, "n_dec_layers": cfg.n_dec_layers, "vocab_size": cfg.vocab_size,
            "max_src": cfg.max_src, "max_tgt": cfg.max_tgt, "num_labels": cfg.num_labels, "decoder_block": True,
            "decoder_hidden": True, "memory_search": MEMORY_SEARCH, "memory_mix": MEMORY_MIX, "matmul": MATMUL}


def load_base(path: str) -> Seq2Seq:
    obj = torch.load(path, map_location="cpu")
    model = Seq2Seq(ModelConfig.from_dict(obj["config"]["model"]))
    model.load_state_dict(obj["model"], strict=True)
    return model


BANNED = [0, 1] + list(range(3, 114))  # special tokens other than </s> never appear in outputs


@torch.no_grad()
def greedy(model: Seq2Seq, ids: List[int], max_len: int) -> List[int]:
    return greedy_with(model, ids, max_len, None)


@torch.no_grad()
def greedy_with(model: Seq2Seq, ids: List[int], max_len: int, deltas, prefix: Sequence[int] = (1,)) -> List[int]:
    """Greedy decoding with the runtime's rule set: special tokens but </s> banned. The decoder
    starts from `prefix` (<s> by default), which is not part of the output."""
    src = torch.tensor([ids])
    ckv = model.cross_kv(model.encode(src, deltas=deltas), deltas)
    tok, past, out = torch.tensor([list(prefix)]), None, []
    for _ in range(max_len):
        logits, past = model.decode(tok, ckv, src != 0, past, deltas)
        row = logits[0, -1].clone()
        row[BANNED] = float("-inf")
        nxt = int(row.argmax())
        if nxt == 2:
            break
        out.append(nxt)
        tok = torch.tensor([[nxt]])
    return out


@torch.no_grad()
def parity_reference(model: Seq2Seq, cases: List[List[int]], max_len: int = 12) -> dict:
    """Torch outputs on fixed inputs, for the Node parity test of the exported graphs."""
    model = model.float().eval()
    out = []
    for ids in cases:
        src = torch.tensor([ids])
        hidden, _ = model.decode(torch.tensor([[1]]), model.cross_kv(model.encode(src)), src != 0, return_hidden=True)
        logits = model.lm_head(hidden)
        out.append({"ids": ids, "first_logits": [round(float(x), 5) for x in logits[0, -1, :16]],
                    "first_hidden": [round(float(x), 5) for x in hidden[0, -1, :16]],
                    "greedy": greedy(model, ids, max_len)})
    return {"max_len": max_len, "banned": BANNED, "cases": out}


def parity_cases(vocab: int) -> List[List[int]]:
    g = torch.Generator().manual_seed(7)
    return [torch.randint(370, vocab, (n,), generator=g).tolist() + [2] for n in (5, 17, 60)]


# ----------------------------------------------------------------------------- workspace generator

class ContributionGraph(nn.Module):
    """hidden [L+1,C,T,d] + mask [C,T] of context chunks -> each chunk's state [C,N,R1,R2]."""

    def __init__(self, gen):
        super().__init__()
        self.gen = gen

    def forward(self, hidden, attention_mask):
        states = [hidden[i] for i in range(hidden.shape[0])]
        return self.gen.chunk_contributions(states[:-1], states[-1], attention_mask > 0)


class AdapterGraph(nn.Module):
    """state [N,R1,R2] -> delta_A [N,R2,d], delta_B [N,d,R2] (Newton-Schulz inside)."""

    def __init__(self, gen):
        super().__init__()
        self.gen = gen

    def forward(self, state):
        return self.gen.deltas(state)


def export_generator(model: Seq2Seq, generator_pt: str, out_dir: str) -> Dict[str, str]:
    """The GenerativeAdapter as two small graphs; the runtime keeps S and sums contributions."""
    from generator import GenerativeAdapter
    obj = torch.load(generator_pt, map_location="cpu")
    if obj["kind"] != "generative":
        raise ValueError(f"{generator_pt}: only the generative kind exports (got {obj['kind']})")
    if obj["slots"] != delta_slots(model):
        raise ValueError(f"{generator_pt} was trained for other slots than this model's")
    gen = GenerativeAdapter(model, obj["slots"], obj["cfg"]["r1"], obj["cfg"]["r2"]).eval()
    gen.load_state_dict(obj["generator"])
    cfg = model.cfg
    L = cfg.n_enc_layers
    hidden = torch.randn(L + 1, 2, 5, cfg.d_model)
    mask = torch.ones(2, 5, dtype=torch.long)
    paths = {"contribution": os.path.join(out_dir, "generator-contribution.onnx"),
             "adapter": os.path.join(out_dir, "generator-adapter.onnx")}
    with torch.no_grad():
        torch.onnx.export(ContributionGraph(gen), (hidden, mask), paths["contribution"], opset_version=OPSET,
                          input_names=["hidden", "attention_mask"], output_names=["state"],
                          dynamic_axes={"hidden": {1: "chunks", 2: "len"}, "attention_mask": {0: "chunks", 1: "len"},
                                        "state": {0: "chunks"}})
        state = ContributionGraph(gen)(hidden, mask).sum(0)
        torch.onnx.export(AdapterGraph(gen), (state,), paths["adapter"], opset_version=OPSET,
                          input_names=["state"], output_names=["delta_A", "delta_B"])
        A, B = AdapterGraph(gen)(state)
    with open(os.path.join(out_dir, "generator.json"), "w") as f:
        json.dump({"kind": "generative", "r1": gen.r1, "r2": gen.r2, "slots": gen.slots,
                   "reference": {"state_sum": float(state.sum()), "delta_A_sum": float(A.sum()),
                                 "delta_B_sum": float(B.sum())}}, f, indent=1)
    return paths


# ----------------------------------------------------------------------------- adapter files

def write_adapter(path_json: str, kind: str, tensors: Dict[str, torch.Tensor], slots: List[str] = None) -> None:
    """NAME.json (kind, slots, shapes, byte offsets) + NAME.bin (little-endian float32)."""
    header = {"kind": kind, "tensors": {}}
    if slots is not None:
        header["slots"] = slots
    blobs, offset = [], 0
    for name, t in tensors.items():
        data = t.detach().float().contiguous().numpy().astype("<f4").tobytes()
        header["tensors"][name] = {"shape": list(t.shape), "offset": offset}
        blobs.append(data)
        offset += len(data)
    os.makedirs(os.path.dirname(path_json) or ".", exist_ok=True)
    with open(path_json[:-5] + ".bin", "wb") as f:
        f.write(b"".join(blobs))
    with open(path_json, "w") as f:
        json.dump(header, f, indent=1)


def lora_tensors(model: Seq2Seq, state_dict: Dict[str, torch.Tensor], rank: int, alpha: float) -> Dict[str, torch.Tensor]:
    """A LoRA state dict as packed deltas over the model's slots (zeros where a slot has none)."""
    slots, d = delta_slots(model), model.cfg.d_model
    A, B = torch.zeros(len(slots), rank, d), torch.zeros(len(slots), d, rank)
    used = set()
    for i, name in enumerate(slots):
        a, b = state_dict.get(name + ".lora_A"), state_dict.get(name + ".lora_B")
        if a is not None and b is not None:
            A[i], B[i] = a.float(), b.float() * (alpha / rank)
            used.update((name + ".lora_A", name + ".lora_B"))
    left = sorted(set(state_dict) - used)
    if left:
        raise ValueError(f"LoRA tensors on layers the runtime cannot feed (only square attention "
                         f"projections are slots): {left[:4]}; train with targets attn.q/k/v/o")
    return {"delta_A": A, "delta_B": B}


def ner_tensors(model: Seq2Seq, state_dict: Dict[str, torch.Tensor], placement: str) -> Dict[str, torch.Tensor]:
    if placement != "pfeiffer":
        raise ValueError(f"the exported encoder feeds Pfeiffer NER adapters only, not {placement!r}")
    L = model.cfg.n_enc_layers
    get = lambda i, part: state_dict[f"enc_blocks.{i}.ner_ffn.{part}"].float()
    return {
        "ner_down_w": torch.stack([get(i, "down.weight") for i in range(L)]),
        "ner_down_b": torch.stack([get(i, "down.bias") for i in range(L)]),
        "ner_up_w": torch.stack([get(i, "up.weight") for i in range(L)]),
        "ner_up_b": torch.stack([get(i, "up.bias") for i in range(L)]),
        "ttc_w": state_dict["ttc_head.weight"].float(), "ttc_b": state_dict["ttc_head.bias"].float(),
    }


def export_adapter(model: Seq2Seq, adapter_pt: str, out_json: str) -> str:
    obj = torch.load(adapter_pt, map_location="cpu")
    kind, cfg, sd = obj["kind"], obj["adapter_config"][obj["kind"]], obj["state_dict"]
    if kind == "lora":
        write_adapter(out_json, "lora", lora_tensors(model, sd, cfg["rank"], cfg["alpha"]), delta_slots(model))
    elif kind == "ner":
        write_adapter(out_json, "ner", ner_tensors(model, sd, cfg["placement"]))
    else:
        raise ValueError(f"{adapter_pt}: unknown adapter kind {kind!r}")
    return out_json


def random_generator(model: Seq2Seq, out_dir: str) -> Dict[str, str]:
    """A random GenerativeAdapter (non-zero B) saved as train_generator.py would, then exported,
    with torch's state for fixed context chunks in generator-parity.json."""
    from generator import GenerativeAdapter, context_states
    g = torch.Generator().manual_seed(5)
    gen = GenerativeAdapter(model, delta_slots(model), r1=8, r2=4)
    gen.B.data = torch.randn(gen.B.shape, generator=g) * 0.05
    pt = os.path.join(out_dir, "generator.pt")
    torch.save({"kind": "generative", "cfg": {"r1": 8, "r2": 4}, "slots": gen.slots, "generator": gen.state_dict()}, pt)
    paths = export_generator(model, pt, out_dir)
    chunks = [torch.randint(370, model.cfg.vocab_size, (n,), generator=g).tolist() for n in (9, 30)]
    with torch.no_grad():
        per_chunk = [gen.contribution(*context_states(model.float().eval(), torch.tensor([c]))) for c in chunks]
        state = sum(per_chunk)
        A, B = gen.deltas(state)
        greedy_ids = parity_cases(model.cfg.vocab_size)[0]
        from generator import as_delta_dict
        tokens = greedy_with(model, greedy_ids, 12, as_delta_dict(gen.slots, A, B))
    with open(os.path.join(out_dir, "generator-parity.json"), "w") as f:
        json.dump({"chunks": chunks, "state_sums": [float(s.sum()) for s in per_chunk],
                   "state_head": [round(float(x), 5) for x in state.flatten()[:16]],
                   "ids": greedy_ids, "greedy": tokens, "banned": BANNED}, f)
    return paths


def random_adapters(model: Seq2Seq, out_dir: str) -> Dict[str, str]:
    """Random LoRA + NER adapters on `model` (changed in place), exported, with torch's greedy
    tokens under them in parity-adapters.json."""
    from model import adapter_state_dict
    g = torch.Generator().manual_seed(11)
    model.enable_lora(4, 8.0, ("attn.q", "attn.k", "attn.v", "attn.o"))
    model.enable_ner_adapters(bottleneck=8, placement="pfeiffer")
    for name, p in model.named_parameters():
        if ".lora_" in name or ".ner_" in name or name.startswith("ttc_head"):
            p.data = torch.randn(p.shape, generator=g) * 0.3
    paths = {}
    for kind in ("lora", "ner"):
        pt = os.path.join(out_dir, f"{kind}.pt")
        torch.save({"kind": kind, "adapter_config": {kind: model.adapter_config[kind]},
                    "state_dict": adapter_state_dict(model, kind)}, pt)
        paths[kind] = export_adapter(model, pt, os.path.join(out_dir, "adapters", kind + ".json"))
    with open(os.path.join(out_dir, "parity-adapters.json"), "w") as f:
        json.dump(parity_reference(model, parity_cases(model.cfg.vocab_size)), f)
    return paths


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", help="base.pt written by train.py --mode pretrain")
    ap.add_argument("--out", required=True)
    ap.add_argument("--adapter", action="append", default=[], metavar="NAME=RUN/FILE.pt",
                    help="also export an adapter (lora.pt or ner.pt) as OUT/adapters/NAME.json/.bin")
    ap.add_argument("--generator", help="generator.pt of a train_generator.py run (generative kind)")
    ap.add_argument("--random-generator", action="store_true",
                    help="with --random-config: export a random GenerativeAdapter (tests)")
    ap.add_argument("--random-adapters", action="store_true",
                    help="with --random-config: also make random LoRA and NER adapters, export them and "
                    "record torch's greedy tokens with them on (parity of adapters-as-inputs)")
    ap.add_argument("--random-config", help="export a randomly initialised model of this config "
                    "(tests: the graphs' plumbing, not a trained model)")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    if args.random_config:
        with open(args.random_config) as f:
            model = Seq2Seq(ModelConfig.from_dict(json.load(f)["model"]))
        for p in model.parameters():  # larger weights than training's init: varied outputs
            if p.dim() >= 2:
                p.data.normal_(0.0, 2.0 / p.shape[-1] ** 0.5)
    else:
        model = load_base(args.base)
    paths = export(model, args.out)
    paths["memory_search"] = export_memory_search(args.out)
    paths["memory_mix"] = export_memory_mix(args.out)
    paths["matmul"] = export_matmul(args.out)
    with open(os.path.join(args.out, "onnx-contract.json"), "w") as f:
        json.dump(contract(model), f, indent=1)
    with open(os.path.join(args.out, "parity.json"), "w") as f:
        json.dump(parity_reference(model, parity_cases(model.cfg.vocab_size)), f)
    if args.random_generator:
        paths.update(random_generator(model, args.out))
    if args.generator:
        paths.update(export_generator(model, args.generator, args.out))
    if args.random_adapters:
        paths.update(random_adapters(model, args.out))
    for spec in args.adapter:
        name, path = spec.split("=", 1)
        paths[name] = export_adapter(model, path, os.path.join(args.out, "adapters", name + ".json"))
    print(json.dumps(paths))


if __name__ == "__main__":
    main()
