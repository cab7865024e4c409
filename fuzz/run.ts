/**
 * Coverage-guided fuzzing of the decoders in fuzz/targets.ts, for a time budget:
 *
 *   npm run fuzz -- --time 60                      all targets, 60 s split between them
 *   npm run fuzz -- --target envelope --time 300   one target (comma-separate several)
 *   options: --seed N (replay a run), --max-len N (bytes beyond the largest seed, default 4096)
 *
 * Why not Jazzer.js: its native addon (@jazzer.js/fuzzer 4.0.0) ships only a Linux build linked
 * against glibc 2.38, and building it needs clang's libFuzzer; neither is on Debian 12 (glibc
 * 2.36), where CI runs. So this is a small fuzzer of its own, with real coverage feedback:
 *
 * - Guidance: V8's precise block coverage, read in-process through the inspector protocol
 *   (Profiler.startPreciseCoverage with call counts; each takePreciseCoverage returns and resets
 *   the counters). A feature is one block of lintas source (src/) executed, with its hit count
 *   bucketed as AFL does (1, 2, 3, 4-7, 8-15, ...). An input that shows a feature never seen
 *   before joins the corpus. Blocks of dependencies (libsodium, cbor-x, noble) are not counted.
 * - Mutations: fuzz/mutate.ts (bit flips, interesting bytes, cuts, inserts of CBOR heads with
 *   huge lengths, length-prefix extremes, duplications, splices with other corpus entries), 1 to
 *   4 stacked per input, on a corpus entry chosen with a bias to recent ones.
 * - Oracle: the target's (a LintasError of a documented code, or a genuine encoding). A failure is
 *   written to fuzz/findings/<target>-<sha256 prefix>.bin and the run exits with status 1; each
 *   finding becomes a test in test/properties/regressions.test.ts once fixed.
 * - An input that takes longer than 2 s is reported as slow (a true infinite loop would stop the
 *   run itself, which is also a finding).
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { TARGETS, FuzzFailure, fuzzReady, type DecoderTarget, type Outcome } from './targets.js';
import { Rng, applyMutations, randomMutation } from './mutate.js';

interface Options {
  time: number;
  targets: string[];
  seed: number;
  maxExtra: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { time: 60, targets: Object.keys(TARGETS), seed: Date.now() % 2 ** 31, maxExtra: 4096 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--time') o.time = Number(value());
    else if (a === '--target') o.targets = value().split(',');
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--max-len') o.maxExtra = Number(value());
    else throw new Error(`unknown option ${a} (use --time SECONDS, --target NAME[,NAME], --seed N, --max-len N)`);
  }
  for (const t of o.targets) if (!(t in TARGETS)) throw new Error(`unknown target ${t}; targets: ${Object.keys(TARGETS).join(', ')}`);
  if (!(o.time > 0)) throw new Error('--time must be a positive number of seconds');
  return o;
}

const session = new Session();
session.connect();
function post<T>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
}

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: { ranges: CoverageRange[] }[];
}

const bucket = (n: number) => (n <= 3 ? n : 32 - Math.clz32(n) + 2);

/** Features of the last input: lintas blocks executed, with bucketed counts; resets the counters. */
async function takeFeatures(): Promise<string[]> {
  const { result } = await post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
  const out: string[] = [];
  for (const script of result) {
    const at = script.url.indexOf('/src/');
    if (at < 0 || script.url.includes('node_modules')) continue;
    const file = script.url.slice(at + 5);
    for (const f of script.functions) for (const r of f.ranges) if (r.count > 0) out.push(`${file}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`);
  }
  return out;
}

const here = dirname(fileURLToPath(import.meta.url));
const FINDINGS = join(here, 'findings');

interface Report {
  target: string;
  execs: number;
  seconds: number;
  corpus: number;
  features: number;
  outcomes: Map<Outcome, number>;
  findings: string[];
  slow: number;
}

async function fuzzTarget(t: DecoderTarget, seconds: number, rng: Rng, maxExtra: number): Promise<Report> {
  const seen = new Set<string>();
  const corpus: Uint8Array[] = [];
  const outcomes = new Map<Outcome, number>();
  const findings: string[] = [];
  const messages = new Set<string>();
  let slow = 0;
  let execs = 0;
  const maxLen = Math.max(...t.seeds.map((s) => s.length)) + maxExtra;

  const runOne = async (input: Uint8Array): Promise<boolean> => {
    execs++;
    const started = performance.now();
    try {
      const o = await t.run(input);
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    } catch (e) {
      await takeFeatures();
      if (!(e instanceof FuzzFailure)) throw e;
      const key = e.message.replace(/\d+/g, 'N');
      if (!messages.has(key)) {
        messages.add(key);
        mkdirSync(FINDINGS, { recursive: true });
        const file = join(FINDINGS, `${t.name}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
        writeFileSync(file, input);
        findings.push(`${e.message} (${relative(process.cwd(), file)})`);
        console.log(`  FINDING ${e.message}\n    input saved to ${relative(process.cwd(), file)}`);
      }
      return false;
    }
    if (performance.now() - started > 2000) slow++;
    let fresh = false;
    for (const f of await takeFeatures()) {
      if (!seen.has(f)) {
        seen.add(f);
        fresh = true;
      }
    }
    return fresh;
  };

  await takeFeatures();
  const started = performance.now();
  for (const s of t.seeds) if ((await runOne(s)) || corpus.length === 0) corpus.push(s);
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    // Half the picks from the newest quarter of the corpus: new entries reached new code.
    const pickRecent = rng.below(2) === 0 && corpus.length > 4;
    const base = pickRecent ? corpus[corpus.length - 1 - rng.below(Math.ceil(corpus.length / 4))]! : corpus[rng.below(corpus.length)]!;
    const ms = Array.from({ length: 1 + rng.below(4) }, () => randomMutation(rng, base.length));
    let input = applyMutations(base, ms, corpus);
    if (input.length > maxLen) input = input.subarray(0, maxLen);
    if (await runOne(input)) corpus.push(input);
  }
  return { target: t.name, execs, seconds: (performance.now() - started) / 1000, corpus: corpus.length, features: seen.size, outcomes, findings, slow };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await fuzzReady();
  await post('Profiler.enable');
  await post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  const rng = new Rng(o.seed);
  const per = o.time / o.targets.length;
  console.log(`lintas fuzz: ${o.targets.join(', ')}; ${per.toFixed(1)} s each; seed ${o.seed} (replay with --seed ${o.seed})`);
  const reports: Report[] = [];
  for (const name of o.targets) {
    const t = await TARGETS[name]!();
    const r = await fuzzTarget(t, per, rng, o.maxExtra);
    reports.push(r);
    const codes = [...r.outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(
      `${name}: ${r.execs} inputs in ${r.seconds.toFixed(1)} s (${Math.round(r.execs / r.seconds)}/s), ${t.seeds.length} seeds, corpus ${r.corpus}, ` +
        `${r.features} coverage features, ${r.findings.length} findings, ${r.slow} slow\n  outcomes: ${codes}`,
    );
  }
  const total = reports.reduce((n, r) => n + r.execs, 0);
  const found = reports.reduce((n, r) => n + r.findings.length, 0);
  console.log(`total: ${total} inputs, ${found} findings, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  session.disconnect();
  process.exitCode = found > 0 ? 1 : 0;
}

await main();
