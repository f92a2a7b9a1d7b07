import { join } from "node:path";
import type { OnnxContract } from "./contract";
import { createSession, int64Tensor, ort as loadOrt } from "./ort";

/**
 * Nearest stored states for the workspace memory, by onnxruntime's int8 kernels (the export's
 * memory-search.onnx: MatMulInteger, then TopK), about four times faster than the same loop in
 * JavaScript. The query is quantized like the keys (a unit vector times 127).
 */
export interface Neighbours {
  index: ArrayLike<number>;
  similarity: ArrayLike<number>;
}

export type NearestSearch = (keys: Int8Array, inverseNorms: Float32Array, d: number, query: Float32Array, k: number) => Promise<Neighbours>;

export async function loadMemorySearch(dir: string, contract: OnnxContract): Promise<{ search: NearestSearch; release: () => Promise<void> } | undefined> {
  if (!contract.memory_search) return undefined;
  // One thread: a search is a fraction of a millisecond, and a second thread pool spinning
  // beside the decoder's costs the decoder more than the search gains.
  const { session } = await createSession(join(dir, contract.memory_search), ["cpu"], 1);
  const ort = loadOrt();
  const search: NearestSearch = async (keys, inverseNorms, d, query, k) => {
    const n = inverseNorms.length;
    const q = new Int8Array(d);
    let norm = 0;
    for (let j = 0; j < d; j++) norm += query[j] * query[j];
    const scale = norm > 0 ? 127 / Math.sqrt(norm) : 0;
    let qNorm = 0;
    for (let j = 0; j < d; j++) {
      q[j] = Math.round(query[j] * scale);
      qNorm += q[j] * q[j];
    }
    const out = await session.run({
      keys: new ort.Tensor("int8", keys, [n, d]),
      query: new ort.Tensor("int8", q, [d, 1]),
      inverse_norms: new ort.Tensor("float32", inverseNorms, [n, 1]),
      k: int64Tensor([Math.min(k, n)], [1]),
    });
    const inv = qNorm > 0 ? 1 / Math.sqrt(qNorm) : 0;
    const similarity = Float32Array.from(out.similarity.data as Float32Array, (s) => s * inv);
    const index = Int32Array.from(out.index.data as BigInt64Array, (i) => Number(i));
    return { index, similarity };
  };
  return { search, release: () => session.release() };
}
