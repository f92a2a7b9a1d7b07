"""Reading the tokenizer's binary shards and turning them into training batches.

Shard format (written by the TypeScript tokenizer, see /tmp/team-plan.md "Data contract"):
  NAME.ids.bin  uint16 little-endian token ids, all sequences concatenated
  NAME.idx.bin  int64 little-endian offsets, n+1 entries; sequence i = ids[off[i]:off[i+1]]
  NAME.lab.bin  uint8 TTC label per token (255 = no label), aligned 1:1 with NAME.ids.bin
Python never tokenizes text; it only reads ids.

Three kinds of batch, each a dict of int64 tensors:
  denoise / summarize / refine:  src (B,S), tgt_in (B,T), labels (B,T) with -100 at padding
  ttc:                           src (B,S), ttc_labels (B,S) with -100 where no label
plus "meta": {"task", "epoch", "index", "examples"} naming the batch (for error messages).

Determinism: the batch plan of an epoch is a function of (seed, epoch), and the noise of
an example a function of (seed, epoch, example index), so a resumed run sees exactly the
batches that an uninterrupted run would have seen.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SUMMARIZE, REFINE, DENOISE = 4, 5, 6
LANG_TAGS = range(7, 13)  # <python> <javascript> <typescript> <tsx> <java> <go>
TRUNCATED = 13
SENTINEL0, N_SENTINELS = 14, 100
NO_LABEL = 255
TASK_TOKEN = {"summarize": SUMMARIZE, "refine": REFINE, "denoise": DENOISE}


class ShardError(ValueError):
    pass


# ----------------------------------------------------------------------------- shards

class Shard:
    """Memory-mapped view of NAME.ids.bin / NAME.idx.bin (/ NAME.lab.bin)."""

    def __init__(self, prefix: str, with_labels: bool = False):
        self.prefix = prefix
        ids_path, idx_path = prefix + ".ids.bin", prefix + ".idx.bin"
        for p in (ids_path, idx_path) + ((prefix + ".lab.bin",) if with_labels else ()):
            if not os.path.exists(p):
                raise FileNotFoundError(f"shard file missing: {p}")
        if os.path.getsize(ids_path) % 2:
            raise ShardError(f"{ids_path}: size {os.path.getsize(ids_path)} is not a multiple of 2 (uint16)")
        if os.path.getsize(idx_path) % 8:
            raise ShardError(f"{idx_path}: size is not a multiple of 8 (int64)")
        n_ids = os.path.getsize(ids_path) // 2
        self.ids = np.memmap(ids_path, dtype="<u2", mode="r") if n_ids else np.zeros(0, "<u2")
        self.off = np.fromfile(idx_path, dtype="<i8")
        if len(self.off) < 2:
            raise ShardError(f"{prefix}: empty shard (no sequences in {idx_path})")
        if self.off[0] != 0 or self.off[-1] != n_ids:
            raise ShardError(f"{prefix}: offsets must start at 0 and end at {n_ids} (the number of ids), "
                             f"got {self.off[0]}..{self.off[-1]}")
        if np.any(np.diff(self.off) < 0):
            raise ShardError(f"{prefix}: offsets are not non-decreasing")
        self.lab = None
        if with_labels:
            lab_path = prefix + ".lab.bin"
            if os.path.getsize(lab_path) != n_ids:
                raise ShardError(f"{lab_path}: {os.path.getsize(lab_path)} labels for {n_ids} ids")
            self.lab = np.memmap(lab_path, dtype="u1", mode="r") if n_ids else np.zeros(0, "u1")
        self.lengths = np.diff(self.off)

    def __len__(self) -> int:
        return len(self.off) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return np.asarray(self.ids[self.off[i]:self.off[i + 1]], dtype=np.int64)

    def labels(self, i: int) -> np.ndarray:
        return np.asarray(self.lab[self.off[i]:self.off[i + 1]], dtype=np.int64)

    def check_vocab(self, vocab_size: int) -> None:
        if len(self.ids) and int(self.ids.max()) >= vocab_size:
            raise ShardError(f"{self.prefix}: token id {int(self.ids.max())} >= vocab_size {vocab_size}")


def write_shard(prefix: str, seqs: Sequence[Sequence[int]], labels: Optional[Sequence[Sequence[int]]] = None) -> None:
    """Write sequences in the shard format (tests and tools; the real shards come from TS)."""
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    off = np.zeros(len(seqs) + 1, dtype="<i8")
    off[1:] = np.cumsum([len(s) for s in seqs])
    flat = np.concatenate([np.asarray(s, dtype="<u2") for s in seqs]) if seqs else np.zeros(0, "<u2")
    flat.astype("<u2").tofile(prefix + ".ids.bin")
    off.tofile(prefix + ".idx.bin")
    if labels is not None:
        lab = np.concatenate([np.asarray(l, dtype="u1") for l in labels]) if labels else np.zeros(0, "u1")
        if len(lab) != len(flat):
            raise ValueError("labels must align 1:1 with ids")
        lab.tofile(prefix + ".lab.bin")


def _strip(seq: np.ndarray, drop_first: Tuple[int, ...] = ()) -> np.ndarray:
    """Drop a leading <s> (or task token we add ourselves) and a trailing </s>."""
    if len(seq) and seq[0] in (BOS,) + drop_first:
        seq = seq[1:]
    if len(seq) and seq[-1] == EOS:
        seq = seq[:-1]
    return seq


# ----------------------------------------------------------------------------- span corruption

def _segments(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Split n items into k non-empty segments at random; returns the k lengths."""
    if k <= 1:
        return np.array([n])
    cuts = np.sort(rng.choice(np.arange(1, n), size=k - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [n]]))


def corrupt_counts(length: int, noise: float, mean_span: float) -> Tuple[int, int]:
    """(noise tokens, spans) for a sequence of `length` tokens; at least one of each."""
    n_noise = int(round(length * noise))
    n_noise = min(max(n_noise, 1), length - 1)
    n_spans = int(round(n_noise / mean_span))
    n_spans = min(max(n_spans, 1), n_noise, length - n_noise, N_SENTINELS)
    return n_noise, n_spans


def span_corrupt(tokens: np.ndarray, rng: np.random.Generator, noise: float = 0.15,
                 mean_span: float = 3.0) -> Tuple[np.ndarray, np.ndarray]:
    """T5 span corruption. Returns (input, target) without special prefix/suffix tokens:
    input = keep_0 <extra_0> keep_1 <extra_1> ...;  target = <extra_0> span_0 <extra_1> span_1 ...
    Sequences shorter than 2 tokens are returned unchanged with an empty target."""
    L = len(tokens)
    if L < 2:
        return tokens.copy(), np.zeros(0, dtype=np.int64)
    n_noise, n_spans = corrupt_counts(L, noise, mean_span)
    noise_lens = _segments(n_noise, n_spans, rng)
    keep_lens = _segments(L - n_noise, n_spans, rng)
    inp, tgt, pos = [], [], 0
    for i in range(n_spans):
        inp.append(tokens[pos:pos + keep_lens[i]])
        pos += keep_lens[i]
        inp.append([SENTINEL0 + i])
        tgt.append([SENTINEL0 + i])
        tgt.append(tokens[pos:pos + noise_lens[i]])
        pos += noise_lens[i]
    return (np.concatenate(inp).astype(np.int64), np.concatenate(tgt).astype(np.int64))


def max_denoise_window(max_src: int, max_tgt: int, noise: float, mean_span: float) -> int:
    """Longest raw window whose corrupted input (+<denoise>, </s>) fits max_src and whose
    target (+</s>) fits max_tgt. (A chunk's leading <lang> tag is part of the window and
    never noise: span corruption always keeps the first token.)"""
    best = 2
    for L in range(2, 4 * max_src):
        n_noise, n_spans = corrupt_counts(L, noise, mean_span)
        if L - n_noise + n_spans + 2 <= max_src and n_noise + n_spans + 1 <= max_tgt:
            best = L
    return best


# ----------------------------------------------------------------------------- datasets

@dataclass
class DataConfig:
    max_src: int = 512
    max_tgt: int = 128
    max_tgt_summarize: int = 48
    noise: float = 0.15
    mean_span: float = 3.0
    min_window: int = 8          # shorter denoising leftovers are dropped
    full_target: float = 0.0     # share of denoising examples that rebuild the whole window
    identifier_masking: bool = False  # pretrain also on ttc.SPLIT with identifiers masked
    batch_tokens: int = 8192     # padded source tokens per batch (src.numel())
    max_batch: int = 256
    bucket_batches: int = 50     # sort by length within pools of this many batches
    tasks: tuple = ("summarize", "refine")  # task mode: which pairs train (one adapter per task, or one for both)


class DenoiseData:
    """Raw code chunks cut into windows that fit after span corruption."""
    task = "denoise"

    def __init__(self, shard: Shard, dc: DataConfig):
        self.shard, self.dc = shard, dc
        self.window = max_denoise_window(dc.max_src, dc.max_tgt, dc.noise, dc.mean_span)
        seqs, starts, lens = [], [], []
        for i, n in enumerate(shard.lengths):
            s = np.arange(0, n, self.window)
            l = np.minimum(n - s, self.window)
            ok = l >= dc.min_window
            seqs.append(np.full(ok.sum(), i)); starts.append(s[ok]); lens.append(l[ok])
        self.seq = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        self.start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
        self.lengths = np.concatenate(lens) if lens else np.zeros(0, np.int64)
        if len(self.lengths) == 0:
            raise ShardError(f"{shard.prefix}: no sequence of at least {dc.min_window} tokens to denoise")
        self.stats = {"windows": int(len(self.lengths)), "window": self.window,
                      "long_sequences_split": int((shard.lengths > self.window).sum())}

        self._full = np.zeros(len(self.lengths), dtype=bool)

    def __len__(self) -> int:
        return len(self.lengths)

    def set_epoch(self, seed: int, epoch: int) -> np.ndarray:
        """Choose this epoch's full-target windows (a `full_target` share, redrawn every
        epoch) and return batch groups: batches never mix the two variants, whose targets
        differ ~5x in length (mixing them padded every short target to max_tgt)."""
        if self.dc.full_target:
            self._full = np.random.default_rng([seed, epoch, 11]).random(len(self.lengths)) < self.dc.full_target
        return self._full.astype(np.int64)

    def plan_lengths(self) -> np.ndarray:
        return np.where(self._full, np.minimum(self.lengths, self.dc.max_tgt - 1), self.lengths)

    def example(self, j: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        """T5 span corruption (<denoise> source, spans as target), or for this epoch's
        `full_target` share the BART-style variant: the same corruption, and the whole window as the
        target, under the <refine> token. Still self-supervised, no repair data; it trains the
        decoder's positions up to max_tgt and the copy-with-changes skill that repair needs."""
        seq = self.shard[self.seq[j]][self.start[j]:self.start[j] + self.lengths[j]]
        if self._full[j]:
            seq = seq[:self.dc.max_tgt - 1]
            inp, _ = span_corrupt(seq, rng, self.dc.noise, self.dc.mean_span)
            return np.concatenate([[REFINE], inp, [EOS]]), np.concatenate([seq, [EOS]])
        inp, tgt = span_corrupt(seq, rng, self.dc.noise, self.dc.mean_span)
        src = np.concatenate([[DENOISE], inp, [EOS]])
        return src, np.concatenate([tgt, [EOS]])


class Seq2SeqData:
    """Paired src/tgt shards (summarize or refine): <task> src... </s> -> tgt... </s>.
    The tokenizer writes src as <lang> code (510 tokens at most, <truncated> last when cut)
    and tgt as text </s>; a leading <s> or trailing </s> in either is tolerated."""

    def __init__(self, task: str, src: Shard, tgt: Shard, dc: DataConfig):
        if len(src) != len(tgt):
            raise ShardError(f"{src.prefix} has {len(src)} sequences but {tgt.prefix} has {len(tgt)}")
        self.task, self.src, self.tgt, self.dc = task, src, tgt, dc
        self.token = TASK_TOKEN[task]
        self.max_tgt = dc.max_tgt_summarize if task == "summarize" else dc.max_tgt
        self.lengths = np.minimum(src.lengths + 2, dc.max_src)
        self.stats = {"pairs": len(src),
                      "src_truncated": int((src.lengths + 2 > dc.max_src).sum()),
                      "tgt_truncated": int((tgt.lengths + 1 > self.max_tgt).sum()),
                      "empty_tgt": int((tgt.lengths == 0).sum())}

    def __len__(self) -> int:
        return len(self.lengths)

    def example(self, j: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        body = _strip(self.src[j], (self.token,))
        if len(body) + 2 > self.dc.max_src:  # visible notice of truncation
            body = np.concatenate([body[:self.dc.max_src - 3], [TRUNCATED]])
        tgt = _strip(self.tgt[j])
        if len(tgt) + 1 > self.max_tgt:  # cut visibly, as the tokenizer's targetSequence does
            tgt = np.concatenate([tgt[:self.max_tgt - 2], [TRUNCATED]])
        return np.concatenate([[self.token], body, [EOS]]), np.concatenate([tgt, [EOS]])


IDENTIFIER_LABELS = range(8, 20)  # function.definition .. builtin in the "ttc-v1" label set


def identifier_runs(labels: np.ndarray) -> List[Tuple[int, int]]:
    """[start, end) runs of consecutive tokens sharing one identifier label (a token never
    spans two AST leaves, so a run is one identifier; whitespace has label 255)."""
    runs, i, n = [], 0, len(labels)
    while i < n:
        if labels[i] in IDENTIFIER_LABELS:
            j = i + 1
            while j < n and labels[j] == labels[i]:
                j += 1
            runs.append((i, j)); i = j
        else:
            i += 1
    return runs


def mask_identifiers(ids: np.ndarray, labels: np.ndarray, max_tgt: int) -> Tuple[np.ndarray, np.ndarray]:
    """Identifier-aware masking (as in CodeT5's masked identifier prediction): every
    occurrence of one identifier becomes the same sentinel; the target lists
    <extra_k> identifier_k ... in order of first appearance, as many as fit max_tgt (</s> included)."""
    runs = identifier_runs(labels)
    sentinel: Dict[tuple, int] = {}
    tgt: List[int] = []
    for a, b in runs:
        key = tuple(ids[a:b].tolist())
        if key in sentinel or len(sentinel) >= N_SENTINELS or len(tgt) + 1 + len(key) + 1 > max_tgt:
            continue
        sentinel[key] = SENTINEL0 + len(sentinel)
        tgt += [sentinel[key], *key]
    inp, pos = [], 0
    for a, b in runs:
        key = tuple(ids[a:b].tolist())
        if key in sentinel:
            inp.extend(ids[pos:a].tolist()); inp.append(sentinel[key]); pos = b
    inp.extend(ids[pos:].tolist())
    return np.asarray(inp, dtype=np.int64), np.asarray(tgt, dtype=np.int64)


class IdentifierData:
    """Functions with token labels (ttc.SPLIT) for identifier-aware denoising:
    <denoise> code with identifiers masked </s> -> <extra_0> name_0 <extra_1> name_1 ... </s>."""
    task = "identifiers"

    def __init__(self, shard: Shard, dc: DataConfig):
        if shard.lab is None:
            raise ShardError(f"{shard.prefix}: identifier masking needs a .lab.bin file")
        self.shard, self.dc = shard, dc
        self.lengths = np.minimum(shard.lengths, dc.max_src - 2)
        self.stats = {"sequences": len(shard)}

    def __len__(self) -> int:
        return len(self.lengths)

    def example(self, j: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        n = self.dc.max_src - 2
        inp, tgt = mask_identifiers(self.shard[j][:n], self.shard.labels(j)[:n], self.dc.max_tgt - 1)
        return np.concatenate([[DENOISE], inp, [EOS]]), np.concatenate([tgt, [EOS]])


class TTCData:
    """Token ids with their AST token-type labels (255 = no label)."""
    task = "ttc"

    def __init__(self, shard: Shard, dc: DataConfig, num_labels: int):
        if shard.lab is None:
            raise ShardError(f"{shard.prefix}: TTC needs a .lab.bin file")
        self.shard, self.dc = shard, dc
        if len(shard.lab):
            bad = np.unique(shard.lab[(shard.lab != NO_LABEL) & (shard.lab >= num_labels)])
            if len(bad):
                raise ShardError(f"{shard.prefix}: label ids {bad[:5].tolist()} outside 0..{num_labels - 1}")
        self.lengths = np.minimum(shard.lengths, dc.max_src)
        self.stats = {"sequences": len(shard), "truncated": int((shard.lengths > dc.max_src).sum())}

    def __len__(self) -> int:
        return len(self.lengths)

    def example(self, j: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        n = self.dc.max_src
        return self.shard[j][:n], self.shard.labels(j)[:n]


# ----------------------------------------------------------------------------- batching

def plan_batches(lengths: np.ndarray, dc: DataConfig, rng: np.random.Generator) -> List[np.ndarray]:
    """Length-bucketed batches: shuffle, sort within pools, cut by a padded-token budget,
    shuffle the batches. Returns lists of example indices."""
    order = rng.permutation(len(lengths))
    approx = max(1, dc.batch_tokens // max(1, int(np.median(lengths))))
    pool = approx * dc.bucket_batches
    batches = []
    for p in range(0, len(order), pool):
        chunk = order[p:p + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        cur, cur_max = [], 0
        for j in chunk:
            m = max(cur_max, int(lengths[j]))
            if cur and (m * (len(cur) + 1) > dc.batch_tokens or len(cur) >= dc.max_batch):
                batches.append(np.array(cur)); cur, m = [], int(lengths[j])
            cur.append(j); cur_max = m
        if cur:
            batches.append(np.array(cur))
    perm = rng.permutation(len(batches))
    return [batches[i] for i in perm]


def _pad(seqs: List[np.ndarray], value: int) -> torch.Tensor:
    T = max(1, max(len(s) for s in seqs))
    out = np.full((len(seqs), T), value, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return torch.from_numpy(out)


def collate(task: str, pairs: List[Tuple[np.ndarray, np.ndarray]]) -> Dict[str, torch.Tensor]:
    if task == "ttc":
        lab = [np.where(l == NO_LABEL, -100, l) for _, l in pairs]
        return {"src": _pad([s for s, _ in pairs], PAD), "ttc_labels": _pad(lab, -100)}
    tgts = [t for _, t in pairs]
    return {"src": _pad([s for s, _ in pairs], PAD),
            "tgt_in": _pad([np.concatenate([[BOS], t[:-1]]) for t in tgts], PAD),
            "labels": _pad(tgts, -100)}


class BatchStream:
    """Endless, resumable stream of batches over one or more datasets (batches are
    homogeneous in task; tasks are interleaved). Under DDP each rank takes every
    world-th batch of the same plan."""

    def __init__(self, datasets: list, dc: DataConfig, seed: int, rank: int = 0, world: int = 1):
        self.datasets, self.dc, self.seed = datasets, dc, seed
        self.rank, self.world = rank, world
        self.epoch, self.pos = 0, 0
        self._plan: Optional[List[Tuple[int, np.ndarray]]] = None

    def _make_plan(self) -> List[Tuple[int, np.ndarray]]:
        rng = np.random.default_rng([self.seed, self.epoch, 7])
        plan = []
        for d, ds in enumerate(self.datasets):
            groups = ds.set_epoch(self.seed, self.epoch) if hasattr(ds, "set_epoch") else np.zeros(len(ds), np.int64)
            lengths = ds.plan_lengths() if hasattr(ds, "plan_lengths") else ds.lengths
            for g in np.unique(groups):
                members = np.flatnonzero(groups == g)
                plan += [(d, members[b]) for b in plan_batches(lengths[members], self.dc, rng)]
        order = rng.permutation(len(plan))
        plan = [plan[i] for i in order]
        n = len(plan) // self.world * self.world or len(plan)  # equal step count on every rank
        return plan[:n][self.rank::self.world] if self.world > 1 else plan

    def state(self) -> dict:
        return {"epoch": self.epoch, "pos": self.pos, "seed": self.seed}

    def load_state(self, st: dict) -> None:
        if st.get("seed") != self.seed:
            raise ValueError(f"data seed {st.get('seed')} in checkpoint != {self.seed}")
        self.epoch, self.pos, self._plan = st["epoch"], st["pos"], None

    def batches_per_epoch(self) -> int:
        if self._plan is None:
            self._plan = self._make_plan()
        return len(self._plan)

    def __iter__(self) -> Iterator[Dict]:
        return self

    def __next__(self) -> Dict:
        if self._plan is None:
            self._plan = self._make_plan()
        if self.pos >= len(self._plan):
            self.epoch, self.pos = self.epoch + 1, 0
            self._plan = self._make_plan()
        d, idx = self._plan[self.pos]
        ds = self.datasets[d]
        pairs = [ds.example(int(j), np.random.default_rng([self.seed, self.epoch, d, int(j)])) for j in idx]
        batch = collate("ttc" if isinstance(ds, TTCData) else "seq2seq", pairs)
        batch["meta"] = {"task": ds.task, "epoch": self.epoch, "index": self.pos,
                         "examples": idx[:8].tolist()}
        self.pos += 1
        return batch


class Prefetcher:
    """Builds a BatchStream's batches on a background thread, `depth` ahead, so that a GPU
    step and the next batch's Python/numpy work overlap. state() is the stream's position
    after the last batch handed out (what a checkpoint must record), not the thread's."""

    def __init__(self, stream: BatchStream, depth: int):
        import queue
        import threading
        self.stream = stream
        self._state = stream.state()
        self._batches_per_epoch = stream.batches_per_epoch()  # before the thread shares the stream
        self._queue: "queue.Queue" = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._fill, daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        while True:
            try:
                item = (next(self.stream), self.stream.state())
            except BaseException as e:  # surfaces in the training thread at its next batch
                self._queue.put(e)
                return
            self._queue.put(item)

    def batches_per_epoch(self) -> int:
        return self._batches_per_epoch

    def state(self) -> dict:
        return dict(self._state)

    def __iter__(self) -> Iterator[Dict]:
        return self

    def __next__(self) -> Dict:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        batch, self._state = item
        return batch


# ----------------------------------------------------------------------------- loading by mode

def load_datasets(mode: str, data_dir: str, split: str, dc: DataConfig, vocab_size: int,
                  num_labels: int = 20) -> list:
    """pretrain: pretrain.SPLIT; task: summarize.SPLIT.{src,tgt} + refine.SPLIT.{src,tgt}
    (either may be absent, not both); ttc: ttc.SPLIT."""
    p = lambda name: os.path.join(data_dir, name)
    if mode == "pretrain":
        sh = Shard(p(f"pretrain.{split}"))
        sh.check_vocab(vocab_size)
        out = [DenoiseData(sh, dc)]
        # identifier masking needs ttc.SPLIT; a missing validation shard only drops that part
        if dc.identifier_masking and (split == "train" or os.path.exists(p(f"ttc.{split}.idx.bin"))):
            ident = Shard(p(f"ttc.{split}"), with_labels=True)
            ident.check_vocab(vocab_size)
            out.append(IdentifierData(ident, dc))
        return out
    if mode == "task":
        out = []
        unknown = set(dc.tasks) - {"summarize", "refine"}
        if unknown or not dc.tasks:
            raise ValueError(f"tasks must be summarize and/or refine, not {list(dc.tasks)}")
        for task in dc.tasks:
            if os.path.exists(p(f"{task}.{split}.src.idx.bin")):
                src, tgt = Shard(p(f"{task}.{split}.src")), Shard(p(f"{task}.{split}.tgt"))
                src.check_vocab(vocab_size); tgt.check_vocab(vocab_size)
                out.append(Seq2SeqData(task, src, tgt, dc))
        if not out:
            raise FileNotFoundError(f"no {' / '.join(f'{t}.{split}.src' for t in dc.tasks)} shards in {data_dir}")
        return out
    if mode == "ttc":
        sh = Shard(p(f"ttc.{split}"), with_labels=True)
        sh.check_vocab(vocab_size)
        return [TTCData(sh, dc, num_labels)]
    raise ValueError(f"unknown mode {mode!r}")
