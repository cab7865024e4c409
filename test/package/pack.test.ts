/**
 * What users install is what was tested: build the package (tsup), lint it (publint --strict,
 * @arethetypeswrong/cli), `npm pack` it, install the tarball into a fresh consumer project and
 * use it from ESM, CommonJS and TypeScript (node16 and bundler resolution), each doing a real
 * seal/open round trip, a drop-folder exchange and the worker pool through `lintas/node`, and bundle its main
 * entry for browsers.
 *
 * The build runs in a copy of the package's sources under the system temp folder, so the test
 * never races a developer's `npm run build` in dist/. Installing needs the npm registry (or a
 * warm npm cache) for the runtime dependencies.
 *
 * Adding a check of the installed package: write the file into the consumer in beforeAll if it
 * needs one, then add an `it` that calls `inConsumer(command, args)`.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

let work: string;
let stage: string;
let consumer: string;
let tarball: string;
let packed: { size: number; unpackedSize: number; files: { path: string; size: number }[] };

/** Run a command; on failure the error carries its stdout and stderr, so the test output shows why. */
async function sh(cwd: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`);
  }
}

/** Run a command in the consumer project, where `lintas` is installed from the tarball. */
const inConsumer = (command: string, args: string[]) => sh(consumer, command, args);

/**
 * The consumer's scenario, as plain JavaScript after the imports: bind `lintas` (the main entry)
 * and `lintasNode` ('lintas/node') first. Prints one JSON line of what happened.
 */
const SCENARIO = (flavour: string) => `
  const text = 'sealed by the installed lintas (${flavour})';
  const sender = await lintas.generateIdentityKeys();
  const receiver = await lintas.generateIdentityKeys();
  const envelope = await lintas.seal(new TextEncoder().encode(text), { recipients: [receiver.xwing], sender: sender.signing });
  const opened = await lintas.open(envelope, { keys: [receiver.xwing], trustedSenders: [sender.signing.publicKey] });
  const tampered = envelope.slice();
  tampered[tampered.length - 1] ^= 1;
  const refused = await lintas.open(tampered, { keys: [receiver.xwing] }).then(() => null, (e) => e);

  // lintas/node: the envelope through a drop folder on disk, received with the main entry.
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lintas-consumer-'));
  const folder = new lintasNode.DropFolderTransport({ root });
  const box = lintas.mailboxId(receiver.signing.publicKey);
  await folder.send(box, envelope);
  const received = [];
  await lintasNode.receiveEnvelopes(folder, box, {
    keys: [receiver.xwing], trustedSenders: [sender.signing.publicKey], untilEmpty: true,
    replayGuard: new lintas.MemoryReplayGuard(),
    handler: (o) => { received.push(new TextDecoder().decode(o.payload)); },
  });
  await folder.close();
  // An error thrown inside lintas/node must be the main entry's LintasError (one copy of the library).
  const closed = await folder.send(box, envelope).then(() => null, (e) => e);
  await fs.rm(root, { recursive: true, force: true });

  // A key ring at the default Argon2id cost (64 MiB): the hash runs on a worker thread that finds
  // libsodium from the installed lintas, not from the working folder (none here), so the 64 MiB
  // are not kept in this thread's WebAssembly memory afterwards.
  process.chdir(os.tmpdir());
  const externalBefore = process.memoryUsage().external;
  const ring = await lintas.KeyRing.create(new lintas.MemoryKeyRingStorage(), { passphrase: 'correct horse battery' });
  ring.close();
  const keyRingMemoryKept = process.memoryUsage().external - externalBefore > 16 * 1024 * 1024;
  // lintas/node's worker pool: its worker thread starts from the built dist/pool-worker file of
  // this flavour; envelopes cross both ways with the single-thread API, errors as LintasError.
  const pool = await lintasNode.createWorkerPool({ workers: 2, sender: sender.signing, keys: [receiver.xwing] });
  const [pooled] = await pool.seal([{ payload: new TextEncoder().encode(text), recipients: [receiver.xwing] }]);
  const poolSealed = await lintas.open(pooled, { keys: [receiver.xwing], trustedSenders: [sender.signing.publicKey] });
  const [poolOpened, poolRefused] = await pool.open([envelope, tampered]);
  await pool.close();
  console.log(JSON.stringify({
    text: new TextDecoder().decode(opened.payload),
    authenticated: opened.authenticated,
    refused: refused && { code: refused.code, isLintasError: lintas.isLintasError(refused) },
    received,
    closed: closed && { code: closed.code, isLintasError: lintas.isLintasError(closed) },
    sameSeal: lintasNode.seal === lintas.seal,
    keyRingMemoryKept,
    pool: {
      sealed: new TextDecoder().decode(poolSealed.payload),
      opened: poolOpened.ok && new TextDecoder().decode(poolOpened.opened.payload),
      refused: { code: poolRefused.error.code, isLintasError: lintas.isLintasError(poolRefused.error) },
    },
  }));
`;

const expected = (flavour: string) => {
  const text = `sealed by the installed lintas (${flavour})`;
  return {
    text,
    authenticated: true,
    refused: { code: 'ERR_ENVELOPE_TAMPERED', isLintasError: true },
    received: [text],
    closed: { code: 'ERR_TRANSPORT_CLOSED', isLintasError: true },
    sameSeal: true,
    keyRingMemoryKept: false,
    pool: { sealed: text, opened: text, refused: { code: 'ERR_ENVELOPE_TAMPERED', isLintasError: true } },
  };
};

/** TypeScript consumer: typed use of both entries, run after compiling (ESM and CJS). */
const TS_CONSUMER = (imports: string) => `${imports}
export async function main(): Promise<{ text: string; code: LintasErrorCode | null }> {
  const sender: IdentityKeys = await generateIdentityKeys();
  const receiver = await generateIdentityKeys();
  const envelope: Uint8Array = await seal(new TextEncoder().encode('typed'), { recipients: [receiver.xwing], sender: sender.signing });
  const opened: OpenedEnvelope = await open(envelope, { keys: [receiver.xwing], trustedSenders: [sender.signing.publicKey] });
  const tampered = envelope.slice();
  tampered[tampered.length - 1] ^= 1;
  let code: LintasErrorCode | null = null;
  try {
    await open(tampered, { keys: [receiver.xwing] });
  } catch (err) {
    if (isLintasError(err)) code = err.code;
  }
  return { text: new TextDecoder().decode(opened.payload), code };
}

/** Never called. Each line is a type error, which proves the types are real and not "any". */
export function typeErrors(keys: IdentityKeys): void {
  // @ts-expect-error recipients must be public keys
  void seal(new Uint8Array(1), { recipients: 'nobody', sender: keys.signing });
  // @ts-expect-error not an error code
  const wrong: LintasErrorCode = 'ERR_NO_SUCH_CODE';
  void wrong;
  // @ts-expect-error the drop folder needs its root
  void new DropFolderTransport({});
}
`;

const TS_IMPORTS = `import { generateIdentityKeys, seal, open, isLintasError, type IdentityKeys, type OpenedEnvelope, type LintasErrorCode } from 'lintas';
import { DropFolderTransport } from 'lintas/node';`;

async function tsconfig(name: string, options: Record<string, unknown>, files: string[]): Promise<void> {
  const compilerOptions = {
    strict: true,
    target: 'es2022',
    lib: ['es2022'],
    types: ['node'],
    // @types/node from the repository: the consumer installs only lintas.
    typeRoots: [join(repo, 'node_modules/@types')],
    skipLibCheck: false,
    ...options,
  };
  await writeFile(join(consumer, name), JSON.stringify({ compilerOptions, files }, null, 2));
}

/** Why the package could not be built or installed; every test then fails with it (never skips). */
let setupError: unknown = null;

beforeAll(async () => {
  try {
    await setUp();
  } catch (err) {
    setupError = err;
  }
});

async function setUp(): Promise<void> {
  work = await mkdtemp(join(tmpdir(), 'lintas-pack-test-'));
  stage = join(work, 'lintas');
  consumer = join(work, 'consumer');
  await mkdir(stage);
  await mkdir(consumer);

  // The build inputs plus whatever package.json "files" names (top-level folders and files).
  const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { files: string[] };
  const fromFiles = pkg.files.filter((f) => !f.startsWith('!')).map((f) => f.split('/')[0]!).filter((f) => f !== 'dist');
  const inputs = [...new Set(['package.json', 'tsup.config.ts', 'tsconfig.json', 'src', ...fromFiles])];
  await Promise.all(inputs.map((p) => cp(join(repo, p), join(stage, p), { recursive: true })));
  await symlink(join(repo, 'node_modules'), join(stage, 'node_modules'), 'dir');

  await sh(stage, 'npm', ['run', 'build']);
  const [info] = JSON.parse(await sh(stage, 'npm', ['pack', '--json', '--pack-destination', work])) as [typeof packed & { filename: string }];
  packed = info;
  tarball = join(work, info.filename);

  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'lintas-consumer', private: true, version: '0.0.0' }));
  await sh(consumer, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);

  const nodeImports = { mjs: `import fs from 'node:fs/promises'; import os from 'node:os'; import path from 'node:path';`, cjs: `const fs = require('node:fs/promises'); const os = require('node:os'); const path = require('node:path');` };
  await writeFile(join(consumer, 'esm.mjs'), `${nodeImports.mjs}\nimport * as lintas from 'lintas';\nimport * as lintasNode from 'lintas/node';\n${SCENARIO('ESM')}`);
  await writeFile(join(consumer, 'cjs.cjs'), `${nodeImports.cjs}\nconst lintas = require('lintas');\nconst lintasNode = require('lintas/node');\n(async () => {\n${SCENARIO('CJS')}\n})().catch((e) => { console.error(e); process.exit(1); });\n`);
  await writeFile(join(consumer, 'typed.mts'), TS_CONSUMER(TS_IMPORTS));
  await writeFile(join(consumer, 'typed.cts'), TS_CONSUMER(TS_IMPORTS));
  await writeFile(join(consumer, 'bundled.ts'), TS_CONSUMER(TS_IMPORTS));
  await writeFile(join(consumer, 'run-typed.mjs'), `import { main as esm } from './out/typed.mjs';\nimport cjs from './out/typed.cjs';\nconsole.log(JSON.stringify([await esm(), await cjs.main()]));\n`);
  await tsconfig('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16', outDir: 'out' }, ['typed.mts', 'typed.cts']);
  await tsconfig('tsconfig.bundler.json', { module: 'preserve', moduleResolution: 'bundler', noEmit: true }, ['bundled.ts']);
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// The slow checks are separate processes, so neighbouring ones run concurrently (it.concurrent,
// with the test's own `expect`).
describe('the packed package', () => {
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  it.concurrent('passes publint --strict', async ({ expect }) => {
    const out = await sh(stage, 'npx', ['publint', '--strict']);
    expect(out).toContain('All good!');
  });

  it.concurrent('resolves everywhere per @arethetypeswrong/cli (node10, node16 CJS and ESM, bundler)', async ({ expect }) => {
    // attw exits non-zero on any problem, and the error then carries its JSON report.
    const report = JSON.parse(await sh(stage, 'npx', ['attw', tarball, '--format', 'json'])) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems?: Record<string, unknown[]> | unknown[];
    };
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './node', './package.json']);
    expect(Object.values(report.problems ?? {}).flat()).toEqual([]);
  });

  it('ships the built code, the docs and the test vectors, without source maps or sources', async () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/node.js', 'dist/node.cjs', 'dist/node.d.ts', 'dist/node.d.cts', 'dist/pool-worker.js', 'dist/pool-worker.cjs', 'docs/SPEC.md', 'docs/vectors/README.md']) {
      expect(paths).toContain(p);
    }
    // Every vector of the repository is in the package (SPEC 11 and 12.10 point reviewers at them).
    const vectorFiles = (dir: string): Promise<string[]> => readdir(join(repo, dir), { recursive: true }).then((names) => names.filter((n) => n.endsWith('.json')).map((n) => `${dir}/${n}`));
    const vectors = await vectorFiles('docs/vectors');
    expect(vectors.length).toBeGreaterThan(90);
    expect(vectors.filter((v) => !paths.includes(v))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.map') || p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
    // Guards against bloat creeping back in (0.43 MB packed before the vectors, 0.7 MB with them).
    expect(packed.size).toBeLessThan(1.5 * (1 << 20));
  });

  it('has no relative link in its Markdown files that points outside the package', async () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const broken: string[] = [];
    for (const doc of [...paths].filter((p) => p.endsWith('.md'))) {
      const text = await readFile(join(stage, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
        const resolved = posix.normalize(posix.join(posix.dirname(doc), target!)).replace(/\/$/, '');
        if (!paths.has(resolved) && ![...paths].some((p) => p.startsWith(`${resolved}/`))) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('works from ESM (.mjs): seal/open, tamper refused, drop folder through lintas/node', async () => {
    expect(JSON.parse(await inConsumer('node', ['esm.mjs']))).toEqual(expected('ESM'));
  });

  it('works from CommonJS (.cjs), with one copy of the library shared by both entries', async () => {
    expect(JSON.parse(await inConsumer('node', ['cjs.cjs']))).toEqual(expected('CJS'));
  });

  it('bundles for browsers from the installed main entry (esbuild, platform browser: no Node built-ins)', async () => {
    await writeFile(join(consumer, 'browser.mjs'), `import { generateIdentityKeys, seal, open } from 'lintas';\nconst k = await generateIdentityKeys();\nconsole.log(await open(await seal(new Uint8Array(1), { recipients: [k.xwing], sender: k.signing }), { keys: [k.xwing] }));\n`);
    const result = await build({ absWorkingDir: consumer, entryPoints: ['browser.mjs'], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('node_modules/lintas/dist/index.js');
    expect(inputs.filter((i) => i.startsWith('node_modules/lintas/') && !i.endsWith('.js'))).toEqual([]);
  });

  it.concurrent('type-checks and runs from TypeScript with moduleResolution node16 (ESM and CJS files)', async ({ expect }) => {
    await inConsumer('node', [tsc, '-p', 'tsconfig.node16.json']);
    const typed = { text: 'typed', code: 'ERR_ENVELOPE_TAMPERED' };
    expect(JSON.parse(await inConsumer('node', ['run-typed.mjs']))).toEqual([typed, typed]);
  });

  it.concurrent('type-checks from TypeScript with moduleResolution bundler', async () => {
    await inConsumer('node', [tsc, '-p', 'tsconfig.bundler.json']);
  });

  it('installs the lintas command: npx lintas --help and --version', async () => {
    expect(await inConsumer('npx', ['--no-install', 'lintas', '--help'])).toContain('Usage: lintas COMMAND');
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect((await inConsumer('npx', ['--no-install', 'lintas', '--version'])).trim()).toBe(pkg.version);
  });
});
