import { join } from "node:path";
import type { OnnxContract } from "./contract";
import { createSession, int64Tensor, ort as loadOrt } from "./ort";

/**
 * Nearest stored states for the workspace memory, by onnxruntime's integer kernels (the export's
 * memory-search.onnx: MatMulInteger, then TopK), several times faster than the same loop in
 * JavaScript. The query is quantized like the keys (a unit vector times 127).
 */
export interface Neighbours {
  index: ArrayLike<number>;
  similarity: ArrayLike<number>;
}

/** keysU8: [n, d] int8 keys plus 128 (sign bit flipped), as WorkspaceMemory keeps them. */
export type NearestSearch = (keysU8: Uint8Array, inverseNorms: Float32Array, d: number, query: Float32Array, k: number) => Promise<Neighbours>;

/**
 * The signed keys an older model's graph takes, converted back once per key matrix (the memory
 * hands out the same view until it changes).
 */
const signedKeys = new WeakMap<Uint8Array, Int8Array>();

function asSigned(keysU8: Uint8Array): Int8Array {
  let out = signedKeys.get(keysU8);
  if (!out) {
    out = new Int8Array(keysU8.length);
    for (let i = 0; i < keysU8.length; i++) out[i] = keysU8[i] - 128;
    signedKeys.set(keysU8, out);
  }
  return out;
}

export async function loadMemorySearch(dir: string, contract: OnnxContract, threads = 1): Promise<{ search: NearestSearch; release: () => Promise<void> } | undefined> {
  if (!contract.memory_search) return undefined;
  // Threads that sleep between runs (createSession): spinning pools beside the decoder's took the
  // cores from each other (docs/training.md, eighth and tenth sessions).
  const { session } = await createSession(join(dir, contract.memory_search), ["cpu"], threads);
  const ort = loadOrt();
  // Models exported before the tenth session take signed keys ("keys"); later ones "keys_u8".
  const unsigned = session.inputNames.includes("keys_u8");
  const search: NearestSearch = async (keysU8, inverseNorms, d, query, k) => {
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
      ...(unsigned ? { keys_u8: new ort.Tensor("uint8", keysU8, [n, d]) } : { keys: new ort.Tensor("int8", asSigned(keysU8), [n, d]) }),
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
