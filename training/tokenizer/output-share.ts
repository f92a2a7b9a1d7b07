/**
 * Share of the output layer (d x V) in one decoder step, by arithmetic (multiply-adds per
 * generated token), for the model configs in training/configs/:
 *   per decoder layer: self-attention q,k,v,o 4d^2 + cross-attention q,o 2d^2 (its K/V are
 *   computed once per input) + gated FFN 3*d*d_ff + attention over t cached and S source
 *   positions 2d(t + S); output layer d*V.
 *
 *   npx tsx training/tokenizer/output-share.ts [training/configs/small.json] [--src 256] [--tgt 16]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

export function decodeStepMacs(d: number, dff: number, layers: number, vocab: number, src: number, tgt: number) {
  const perLayer = 4 * d * d + 2 * d * d + 3 * d * dff + 2 * d * (tgt + src);
  const body = layers * perLayer;
  const output = d * vocab;
  return { body, output, share: output / (body + output) };
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { src: { type: "string", default: "256" }, tgt: { type: "string", default: "16" } },
  });
  const cfg = JSON.parse(readFileSync(positionals[0] ?? "training/configs/small.json", "utf8")).model;
  const src = Number(values.src);
  const tgt = Number(values.tgt);
  console.log(`d=${cfg.d_model} d_ff=${cfg.d_ff} decoder layers=${cfg.n_dec_layers}, source ${src} tokens, ${tgt} generated so far`);
  console.log("| vocab | output MACs | rest of step MACs | output share |\n|---|---|---|---|");
  for (const v of [8192, 12288, 16384]) {
    const r = decodeStepMacs(cfg.d_model, cfg.d_ff, cfg.n_dec_layers, v, src, tgt);
    console.log(`| ${v} | ${(r.output / 1e6).toFixed(2)}M | ${(r.body / 1e6).toFixed(2)}M | ${(100 * r.share).toFixed(1)}% |`);
  }
}
