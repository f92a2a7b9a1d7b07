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
