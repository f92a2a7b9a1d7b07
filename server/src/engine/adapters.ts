import { readFileSync } from "node:fs";
import type { OnnxContract } from "./contract";

/**
 * Adapters are data: each is a set of float32 tensors the graphs take as inputs.
 *   deltas (LoRA task adapters, workspace adapters): A [N,r,d], B [N,d,r] over the contract's
 *     N attention-projection slots; several adapters combine by concatenation along r.
 *   NER adapters: down/up weights per encoder block and the token-type head.
 * "No adapter" is zeros, an exact no-op, so one pair of sessions serves every combination.
 */
export interface Deltas {
  rank: number;
  A: Float32Array; // [N, rank, d]
  B: Float32Array; // [N, d, rank]
}

export interface NerWeights {
  bottleneck: number;
  downW: Float32Array; // [L, b, d]
  downB: Float32Array; // [L, b]
  upW: Float32Array; // [L, d, b]
  upB: Float32Array; // [L, d]
  ttcW: Float32Array; // [C, d]
  ttcB: Float32Array; // [C]
}

export function neutralDeltas(contract: OnnxContract): Deltas {
  const n = contract.slots.length;
  return { rank: 1, A: new Float32Array(n * contract.d_model), B: new Float32Array(n * contract.d_model) };
}

export function neutralNer(contract: OnnxContract): NerWeights {
  const { n_enc_layers: L, d_model: d, num_labels: C } = contract;
  return {
    bottleneck: 1,
    downW: new Float32Array(L * d),
    downB: new Float32Array(L),
    upW: new Float32Array(L * d),
    upB: new Float32Array(L * d),
    ttcW: new Float32Array(C * d),
    ttcB: new Float32Array(C),
  };
}

/** Stacks several delta sets on the same slots: [A1; A2] along r, [B1, B2] along r. */
export function concatDeltas(contract: OnnxContract, parts: Deltas[]): Deltas {
  if (parts.length === 0) return neutralDeltas(contract);
  if (parts.length === 1) return parts[0];
  const n = contract.slots.length;
  const d = contract.d_model;
  const rank = parts.reduce((sum, part) => sum + part.rank, 0);
  const A = new Float32Array(n * rank * d);
  const B = new Float32Array(n * d * rank);
  for (let slot = 0; slot < n; slot++) {
    let offset = 0;
    for (const part of parts) {
      A.set(part.A.subarray(slot * part.rank * d, (slot + 1) * part.rank * d), (slot * rank + offset) * d);
      for (let row = 0; row < d; row++) {
        const from = (slot * d + row) * part.rank;
        B.set(part.B.subarray(from, from + part.rank), (slot * d + row) * rank + offset);
      }
      offset += part.rank;
    }
  }
  return { rank, A, B };
}

const concatenated = new WeakMap<Deltas, WeakMap<Deltas, Deltas>>();

/**
 * concatDeltas remembered per pair of parts: adapters never change once loaded or generated (a
 * rebuilt workspace adapter is a new object), so after the first request with a new pair a
 * switch costs a lookup, and a dropped adapter takes its entries with it.
 */
export function concatDeltasCached(contract: OnnxContract, parts: Deltas[]): Deltas {
  if (parts.length !== 2) return concatDeltas(contract, parts);
  let inner = concatenated.get(parts[0]);
  if (!inner) concatenated.set(parts[0], (inner = new WeakMap()));
  let joined = inner.get(parts[1]);
  if (!joined) inner.set(parts[1], (joined = concatDeltas(contract, parts)));
  return joined;
}

/**
 * Adapter files written by training/export.py: NAME.json (kind, shapes, byte offsets, slots)
 * beside NAME.bin (little-endian float32). Slots must match the model's contract exactly.
 */
interface AdapterHeader {
  kind: "lora" | "ner";
  slots?: string[];
  tensors: Record<string, { shape: number[]; offset: number }>;
}

function readTensors(jsonPath: string): { header: AdapterHeader; get: (name: string) => [Float32Array, number[]] } {
  const header = JSON.parse(readFileSync(jsonPath, "utf8")) as AdapterHeader;
  const bytes = readFileSync(jsonPath.replace(/\.json$/, ".bin"));
  const get = (name: string): [Float32Array, number[]] => {
    const entry = header.tensors[name];
    if (!entry) throw new Error(`adapter ${jsonPath} lacks tensor ${name}`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset + count * 4 > bytes.length) throw new Error(`adapter ${jsonPath} is truncated at ${name}`);
    const copy = new Float32Array(count);
    Buffer.from(copy.buffer).set(bytes.subarray(entry.offset, entry.offset + count * 4));
    return [copy, entry.shape];
  };
  return { header, get };
}

export function loadDeltas(jsonPath: string, contract: OnnxContract): Deltas {
  const { header, get } = readTensors(jsonPath);
  if (header.kind !== "lora") throw new Error(`${jsonPath} is a ${header.kind} adapter, not a LoRA adapter`);
  if (JSON.stringify(header.slots) !== JSON.stringify(contract.slots)) {
    throw new Error(`${jsonPath} was made for other adapter slots than this model's`);
  }
  const [A, shapeA] = get("delta_A");
  const [B] = get("delta_B");
  return { rank: shapeA[1], A, B };
}

export function loadNer(jsonPath: string): NerWeights {
  const { header, get } = readTensors(jsonPath);
  if (header.kind !== "ner") throw new Error(`${jsonPath} is a ${header.kind} adapter, not an NER adapter`);
  const [downW, shape] = get("ner_down_w");
  return {
    bottleneck: shape[1],
    downW,
    downB: get("ner_down_b")[0],
    upW: get("ner_up_w")[0],
    upB: get("ner_up_b")[0],
    ttcW: get("ttc_w")[0],
    ttcB: get("ttc_b")[0],
  };
}
