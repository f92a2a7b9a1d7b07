import type * as Ort from "onnxruntime-node";

/**
 * onnxruntime-node, loaded lazily (the server starts without it), and sessions created with
 * the configured execution providers tried one at a time: onnxruntime fails the whole list
 * when one entry cannot load, instead of falling back.
 */
let ortModule: typeof Ort | undefined;

export function ort(): typeof Ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require("onnxruntime-node") as typeof Ort;
  return ortModule;
}

export interface SessionChoice {
  session: Ort.InferenceSession;
  provider: string;
  /** Why earlier providers in the list were skipped. */
  fallbacks: string[];
}

/**
 * Sessions' threads sleep between runs instead of spinning (onnxruntime's default): a decoder pool
 * spinning after each step took the cores the memory search then needed, and on this 2-core
 * machine the decoder was no slower without it (per step, 3 runs each, trainer paused: search 0.60,
 * 0.59, 0.80 ms without spinning against 1.14, 1.06, 1.06 with; decoder 2.3-3.7 ms either way;
 * docs/training.md, tenth session). An editor extension should not spin the user's cores either.
 */
export async function createSession(path: string, providers: string[], threads: number): Promise<SessionChoice> {
  const fallbacks: string[] = [];
  const list = providers.length ? providers : ["cpu"];
  for (const provider of list) {
    try {
      const session = await ort().InferenceSession.create(path, {
        executionProviders: [provider],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      });
      return { session, provider, fallbacks };
    } catch (error) {
      fallbacks.push(`${provider}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  throw new Error(`no execution provider could load ${path}: ${fallbacks.join("; ")}`);
}

export function int64Tensor(values: ArrayLike<number>, dims: number[]): Ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new (ort().Tensor)("int64", data, dims);
}

export function floatTensor(data: Float32Array, dims: number[]): Ort.Tensor {
  return new (ort().Tensor)("float32", data, dims);
}
