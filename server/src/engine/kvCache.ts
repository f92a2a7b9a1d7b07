import type * as Ort from "onnxruntime-node";
import { floatTensor } from "./ort";

/** Batch-row surgery on [D,2,B,...] tensors: the cross-attention K/V and the self-attention cache. */
/** Repeats a batch-1 tensor laid out [outer, 1, inner] into [outer, batch, inner]. */
export function repeatBatch(tensor: Ort.Tensor, outer: number, batch: number, inner: number): Ort.Tensor {
  const src = tensor.data as Float32Array;
  const dst = new Float32Array(outer * batch * inner);
  for (let o = 0; o < outer; o++) {
    for (let b = 0; b < batch; b++) dst.set(src.subarray(o * inner, (o + 1) * inner), (o * batch + b) * inner);
  }
  const dims = [...tensor.dims];
  dims[2] = batch;
  return floatTensor(dst, dims);
}

/** Reorders the batch rows of a cache laid out [D,2,B,H,P,h] (beam search). */
export function selectBatchRows(cache: Ort.Tensor, rows: number[]): Ort.Tensor {
  const dims = [...cache.dims];
  const [D, two, B] = dims;
  const inner = dims.slice(3).reduce((a, b) => a * b, 1);
  const src = cache.data as Float32Array;
  const dst = new Float32Array(D * two * rows.length * inner);
  for (let o = 0; o < D * two; o++) {
    rows.forEach((row, b) => dst.set(src.subarray((o * B + row) * inner, (o * B + row + 1) * inner), (o * rows.length + b) * inner));
  }
  dims[2] = rows.length;
  return floatTensor(dst, dims);
}

/**
 * The first `positions` entries of a batch-1 self-attention cache [D,2,1,H,P,h], repeated into
 * `batch` rows: a causal decoder's cache for a prefix is the prefix of the cache of a longer input.
 */
export function prefixCache(cache: Ort.Tensor, positions: number, batch: number): Ort.Tensor {
  const [D, two, B, H, P, h] = cache.dims;
  if (B !== 1 || positions > P) throw new Error(`prefixCache: cache of ${B} rows and ${P} positions, asked for ${positions}`);
  const src = cache.data as Float32Array;
  const dst = new Float32Array(D * two * batch * H * positions * h);
  const row = positions * h;
  let at = 0;
  for (let o = 0; o < D * two; o++) {
    for (let b = 0; b < batch; b++) {
      for (let head = 0; head < H; head++) {
        const from = (o * H + head) * P * h;
        dst.set(src.subarray(from, from + row), at);
        at += row;
      }
    }
  }
  return floatTensor(dst, [D, two, batch, H, positions, h]);
}
