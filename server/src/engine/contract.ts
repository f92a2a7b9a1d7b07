import { readFileSync } from "node:fs";

/** The shapes both sides agree on, written by training/export.py as onnx-contract.json. */
export interface OnnxContract {
  opset: number;
  slots: string[];
  d_model: number;
  n_heads: number;
  n_enc_layers: number;
  n_dec_layers: number;
  vocab_size: number;
  max_src: number;
  max_tgt: number;
  num_labels: number;
  /** decoder.onnx takes T tokens per row and returns logits for all T (exports since 2026-11-27's sixth session). */
  decoder_block?: boolean;
  /** decoder.onnx also returns its final normed states `hidden` [B,T,d] (exports since 2026-11-28; the workspace memory's keys). */
  decoder_hidden?: boolean;
  /** The workspace memory's search graph in the model folder (engine/memorySearch.ts). */
  memory_search?: string;
  /** The memory's search and mix as one graph (engine/memorySearch.ts; exports since 2026-12-04). */
  memory_mix?: string;
  /** A float32 matmul graph for the output-layer adapter (workspace/outputAdapter.ts; exports since 2026-12-04). */
  matmul?: string;
}

export function readContract(path: string): OnnxContract {
  const contract = JSON.parse(readFileSync(path, "utf8")) as OnnxContract;
  for (const key of ["d_model", "n_heads", "n_enc_layers", "n_dec_layers", "vocab_size", "max_src", "max_tgt"] as const) {
    if (!Number.isInteger(contract[key]) || contract[key] <= 0) throw new Error(`${path}: ${key} missing or invalid`);
  }
  if (!Array.isArray(contract.slots)) throw new Error(`${path}: slots missing`);
  return contract;
}
