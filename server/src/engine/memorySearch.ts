import { join } from "node:path";
import type { OnnxContract } from "./contract";
import type * as Ort from "onnxruntime-node";
import { createSession, int64Tensor, ort as loadOrt } from "./ort";

/**
 * The workspace memory's kernels, run by onnxruntime: the nearest stored states (the export's
 * memory-search.onnx: MatMulInteger, then TopK), several times faster than the same loop in
 * JavaScript, and the whole mix of one decoding step (memory-mix.onnx: the search, then the
 * mixed log-distribution) in one call. The query is quantized like the keys (a unit vector times 127).
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

/** a [m,k] times b [k,n] -> [m,n], float32 (the output-layer adapter's products, outputAdapter.ts). */
export type MatMul = (a: Float32Array, m: number, k: number, b: Float32Array, n: number) => Promise<Float32Array>;

/** keysU8: [n, d] int8 keys plus 128 (sign bit flipped), as WorkspaceMemory keeps them. */
export interface NearestSearch {
  (keysU8: Uint8Array, inverseNorms: Float32Array, d: number, query: Float32Array, k: number): Promise<Neighbours>;
  /** The whole mix in one graph call, for models that ship memory-mix.onnx. */
  mix?: MixKernel;
  /** A float32 product, for models that ship matmul.onnx. */
  matmul?: MatMul;
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

/** The search graph's call: the k nearest rows and their cosines. */
function searchWith(session: Ort.InferenceSession): NearestSearch {
  const ort = loadOrt();
  // Models exported before the tenth session take signed keys ("keys"); later ones "keys_u8".
  const unsigned = session.inputNames.includes("keys_u8");
  return async (keysU8, inverseNorms, d, query, k) => {
    const n = inverseNorms.length;
    const { q, inverseNorm } = quantizeQuery(query, d);
    const out = await session.run({
      ...(unsigned ? { keys_u8: new ort.Tensor("uint8", keysU8, [n, d]) } : { keys: new ort.Tensor("int8", asSigned(keysU8), [n, d]) }),
      query: new ort.Tensor("int8", q, [d, 1]),
      inverse_norms: new ort.Tensor("float32", inverseNorms, [n, 1]),
      k: int64Tensor([Math.min(k, n)], [1]),
    });
    const similarity = Float32Array.from(out.similarity.data as Float32Array, (s) => s * inverseNorm);
    const index = Int32Array.from(out.index.data as BigInt64Array, (i) => Number(i));
    return { index, similarity };
  };
}

/** The mix graph's call: the search and the mixed log-distribution of one row, in place. */
function mixWith(session: Ort.InferenceSession): MixKernel {
  const ort = loadOrt();
  const scalar = (x: number) => new ort.Tensor("float32", Float32Array.of(x), [1]);
  return async (rows, d, query, row, settings) => {
    const n = rows.inverseNorms.length;
    const { q, inverseNorm } = quantizeQuery(query, d);
    const out = await session.run({
      keys_u8: new ort.Tensor("uint8", rows.keysU8, [n, d]),
      query: new ort.Tensor("int8", q, [d, 1]),
      inverse_norms: new ort.Tensor("float32", rows.inverseNorms, [n, 1]),
      query_scale: scalar(inverseNorm),
      values: new ort.Tensor("int32", rows.values, [n]),
      k: int64Tensor([Math.min(settings.k, n)], [1]),
      logits: new ort.Tensor("float32", row.slice(), [1, row.length]), // a copy: the row is a view into the step's logits
      lambda_: scalar(settings.lambda),
      temperature: scalar(settings.temperature),
    });
    row.set(out.mixed.data as Float32Array);
  };
}

/** The matmul graph's call. */
function matmulWith(session: Ort.InferenceSession): MatMul {
  const ort = loadOrt();
  return async (a, m, k, b, n) => {
    const out = await session.run({ a: new ort.Tensor("float32", a, [m, k]), b: new ort.Tensor("float32", b, [k, n]) });
    return out.c.data as Float32Array;
  };
}

/** The model's memory graphs, if its contract names them; the search carries the mix and the matmul when there are. */
export async function loadMemorySearch(dir: string, contract: OnnxContract, threads = 1): Promise<{ search: NearestSearch; release: () => Promise<void> } | undefined> {
  if (!contract.memory_search) return undefined;
  // Threads that sleep between runs (createSession): spinning pools beside the decoder's took the
  // cores from each other (docs/training.md, eighth and tenth sessions).
  const { session } = await createSession(join(dir, contract.memory_search), ["cpu"], threads);
  const search = searchWith(session);
  const mixer = contract.memory_mix ? (await createSession(join(dir, contract.memory_mix), ["cpu"], threads)).session : undefined;
  if (mixer) search.mix = mixWith(mixer);
  const product = contract.matmul ? (await createSession(join(dir, contract.matmul), ["cpu"], threads)).session : undefined;
  if (product) search.matmul = matmulWith(product);
  return {
    search,
    release: async () => {
      await session.release();
      await mixer?.release();
      await product?.release();
    },
  };
}
