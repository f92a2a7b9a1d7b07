/**
 * Tokenizer encode speed (`npm run bench:tokenizer`), not a timed test: the shipped tokenizer
 * on the tokenizer and labeler fixtures, repeated with varied identifiers so the per-piece
 * cache does not answer everything. Each round uses a fresh tokenizer (cold cache).
 * Target (issue 4's tokenizer, DESIGN.md): ≥ 1 MB/s on one thread. Prints the median of rounds.
 *   BENCH_ROUNDS (default 5)
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTokenizer } from "../training/tokenizer/tokenizer-file";

const ROOT = join(__dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SHIPPED = join(ROOT, "models", "tokenizer.json");
const FIXTURE_DIRS = [join(ROOT, "training", "tokenizer", "fixtures"), join(ROOT, "server", "src", "labeler", "fixtures")];

if (!existsSync(SHIPPED)) throw new Error(`no tokenizer at ${SHIPPED}: the benchmark measures the shipped one`);
const base = FIXTURE_DIRS.flatMap((d) => (existsSync(d) ? readdirSync(d).sort().map((f) => readFileSync(join(d, f), "utf8")) : [])).join("\n");
const text = Array.from({ length: 60 }, (_, k) => base.replace(/[A-Za-z_]\w*/g, (w) => (w.length > 3 ? w + (k % 7) : w))).join("\n");

const rates: number[] = [];
let tokens = 0;
for (let round = 0; round < ROUNDS; round++) {
  const { tokenizer } = loadTokenizer(SHIPPED);
  const t0 = performance.now();
  tokens = tokenizer.encode(text).length;
  rates.push(text.length / 1e6 / ((performance.now() - t0) / 1000));
}
const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)];
console.log(`| text | tokens | encode MB/s (median of ${ROUNDS}, cold) | target |`);
console.log("|---|---|---|---|");
console.log(`| ${(text.length / 1e6).toFixed(2)}M chars | ${tokens} | ${median.toFixed(2)} | ≥ 1 |`);
