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

/** The memory's rows as the graphs take them (WorkspaceMemory.flat()). */
export interface MemoryRows {
  /** [n, d] int8 keys plus 128 (sign bit flipped). */
  keysU8: Uint8Array;
  /** [n] the token each row predicts. */
  values: Int32Array;
  inverseNorms: Float32Array;
}

/** Rewrites one row of logits in place as log((1 - lambda) p + lambda memory), as WorkspaceMemory.mix does. */
export type MixKernel = (rows: MemoryRows, d: number, query: Float32Array, row: Float32Array, settings: { k: number; temperature: number; lambda: number }) => Promise<void>;

/** keysU8: [n, d] int8 keys plus 128 (sign bit flipped), as WorkspaceMemory keeps them. */
export interface NearestSearch {
  (keysU8: Uint8Array, inverseNorms: Float32Array, d: number, query: Float32Array, k: number): Promise<Neighbours>;
  /** The whole mix in one graph call, for models that ship memory-mix.onnx. */
  mix?: MixKernel;
}

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

/** The query as the keys are stored: round(127 * unit vector), and 1 / its int8 norm. */
function quantizeQuery(query: Float32Array, d: number): { q: Int8Array; inverseNorm: number } {
  const q = new Int8Array(d);
  let norm = 0;
  for (let j = 0; j < d; j++) norm += query[j] * query[j];
  const scale = norm > 0 ? 127 / Math.sqrt(norm) : 0;
  let qNorm = 0;
  for (let j = 0; j < d; j++) {
    q[j] = Math.round(query[j] * scale);
    qNorm += q[j] * q[j];
  }
  return { q, inverseNorm: qNorm > 0 ? 1 / Math.sqrt(qNorm) : 0 };
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
    const { q, inverseNorm: inv } = quantizeQuery(query, d);
    const out = await session.run({
      ...(unsigned ? { keys_u8: new ort.Tensor("uint8", keysU8, [n, d]) } : { keys: new ort.Tensor("int8", asSigned(keysU8), [n, d]) }),
      query: new ort.Tensor("int8", q, [d, 1]),
      inverse_norms: new ort.Tensor("float32", inverseNorms, [n, 1]),
      k: int64Tensor([Math.min(k, n)], [1]),
    });
    const similarity = Float32Array.from(out.similarity.data as Float32Array, (s) => s * inv);
    const index = Int32Array.from(out.index.data as BigInt64Array, (i) => Number(i));
    return { index, similarity };
  };
  const mixer = contract.memory_mix ? (await createSession(join(dir, contract.memory_mix), ["cpu"], threads)).session : undefined;
  if (mixer) {
    search.mix = async (rows, d, query, row, settings) => {
      const n = rows.inverseNorms.length;
      const { q, inverseNorm } = quantizeQuery(query, d);
      const out = await mixer.run({
        keys_u8: new ort.Tensor("uint8", rows.keysU8, [n, d]),
        query: new ort.Tensor("int8", q, [d, 1]),
        inverse_norms: new ort.Tensor("float32", rows.inverseNorms, [n, 1]),
        query_scale: new ort.Tensor("float32", Float32Array.of(inverseNorm), [1]),
        values: new ort.Tensor("int32", rows.values, [n]),
        k: int64Tensor([Math.min(settings.k, n)], [1]),
        logits: new ort.Tensor("float32", row.slice(), [1, row.length]), // a copy: the row is a view into the step's logits
        lambda_: new ort.Tensor("float32", Float32Array.of(settings.lambda), [1]),
        temperature: new ort.Tensor("float32", Float32Array.of(settings.temperature), [1]),
      });
      row.set(out.mixed.data as Float32Array);
    };
  }
  return { search, release: async () => { await session.release(); await mixer?.release(); } };
}
