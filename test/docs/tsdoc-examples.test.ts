/**
 * Every `@example` in the TSDoc of the public API runs, so the examples in the API reference
 * cannot silently stop working. The ```ts blocks are taken from the source comments (what
 * typedoc renders), their `from 'lintas'` / `from 'lintas/node'` imports are pointed at src/,
 * and each is imported as a module of its own. An example fails its test by throwing, by a
 * failed `console.assert`, or by not finishing. They are also type-checked with the project's
 * compiler options (running them strips types, and users copy them into TypeScript), in a
 * `tsc` process that runs while the examples do.
 *
 * The main entry points must have an example (issue 6): the list below fails the suite when one
 * loses it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

/** Exported names that must carry a runnable example: the main entry points of each layer. */
const REQUIRED = [
  'generateIdentityKeys',
  'seal',
  'open',
  'sealStream',
  'openStream',
  'inspect',
  'armor',
  'KeyRing.create',
  'KeyRing.open',
  'sealBundle',
  'openBundle',
  'openBundleWithKeyRing',
  'forwardBundleWithKeyRing',
  'FileKeyRingStorage',
  'MemoryTransport',
  'RelayTransport',
  'DropFolderTransport',
  'startRelay',
  'receiveEnvelopes',
  'createWorkerPool',
  'checkMarkings',
  'AuditLog',
  'verifyAuditLog',
];

interface Example {
  /** Where it is, e.g. `src/envelope/seal.ts:120 seal`. */
  where: string;
  /** The name the comment documents (`Class.member` for members). */
  name: string;
  code: string;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(SRC, 'cli')) out.push(...(await sourceFiles(path)));
    } else if (entry.name.endsWith('.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** The declared name after a doc comment: `function seal`, `class KeyRing`, `static async open(`. */
function declaredName(after: string): string | null {
  const m = /^\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:default\s+)?(?:static\s+)?(?:async\s+)?(?:function\*?\s+|class\s+|interface\s+|const\s+|type\s+)?\*?\s*([A-Za-z_$][\w$]*)/.exec(after);
  return m ? m[1]! : null;
}

function extract(file: string, text: string): Example[] {
  const examples: Example[] = [];
  const comment = /\/\*\*([\s\S]*?)\*\//g;
  let classNow: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = comment.exec(text)) !== null) {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 200);
    const name = declaredName(after);
    const isClass = /^\s*export\s+(?:abstract\s+)?class\s/.test(after);
    if (isClass) classNow = name;
    const topLevel = /^\n(?:export|function|class|const|interface|type)\b/.test(after);
    const fullName = isClass || topLevel || classNow === null ? name : `${classNow}.${name}`;
    if (topLevel && !isClass) classNow = null;
    const body = m[1]!
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, ''))
      .join('\n');
    const tag = /@example\b[^\n]*\n\s*```(?:ts|typescript)\n([\s\S]*?)```/g;
    let t: RegExpExecArray | null;
    while ((t = tag.exec(body)) !== null) {
      const line = text.slice(0, m.index).split('\n').length;
      examples.push({ where: `${relative(ROOT, file)}:${line} ${fullName}`, name: fullName ?? '?', code: t[1]! });
    }
  }
  return examples;
}

function pointAtSource(code: string): string {
  const index = JSON.stringify(join(SRC, 'index.ts'));
  const node = JSON.stringify(join(SRC, 'node.ts'));
  return code.replace(/from\s+['"]lintas\/node['"]/g, `from ${node}`).replace(/from\s+['"]lintas['"]/g, `from ${index}`);
}

const examples: Example[] = [];
for (const file of await sourceFiles(SRC)) examples.push(...extract(file, await readFile(file, 'utf8')));

let dir: string;
let typeCheck: Promise<{ ok: true } | { ok: false; output: string }>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lintas-tsdoc-examples-'));
  for (const [i, e] of examples.entries()) await writeFile(join(dir, `example-${i}.mts`), pointAtSource(e.code));
  const tsconfig = {
    extends: join(ROOT, 'tsconfig.json'),
    compilerOptions: { noEmit: true, allowImportingTsExtensions: true, noUnusedLocals: false, typeRoots: [join(ROOT, 'node_modules', '@types')] },
    include: ['*.mts'],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  typeCheck = promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json')], { cwd: ROOT }).then(
    () => ({ ok: true }) as const,
    (e: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }) as const,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TSDoc examples', () => {
  it('exist for every main entry point, and only import from lintas or node:', () => {
    const names = new Set(examples.map((e) => e.name));
    expect(REQUIRED.filter((n) => !names.has(n))).toEqual([]);
    for (const e of examples) {
      for (const [, from] of e.code.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
        expect(from === 'lintas' || from === 'lintas/node' || from!.startsWith('node:'), `${e.where} imports ${from}`).toBe(true);
      }
    }
  });

  it.each(examples.map((e, i) => [e.where, i] as const))('%s runs', async (_where, i) => {
    const example = examples[i]!;
    const path = join(dir, `example-${i}.mts`);
    const failedAsserts: unknown[][] = [];
    const assert = vi.spyOn(console, 'assert').mockImplementation((ok?: unknown, ...rest: unknown[]) => {
      if (!ok) failedAsserts.push(rest);
    });
    // LINTAS_SHOW_EXAMPLE_OUTPUT=1 shows what the examples print, to check their comments.
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      if (process.env.LINTAS_SHOW_EXAMPLE_OUTPUT) process.stdout.write(`${example.where}: ${args.map((a) => JSON.stringify(a)).join(' ')}\n`);
    });
    try {
      await import(path);
    } finally {
      assert.mockRestore();
      log.mockRestore();
    }
    expect(failedAsserts).toEqual([]);
  }, 30_000);

  it('type-check', async () => {
    const result = await typeCheck;
    // example-N.mts is examples[N]: name the examples tsc complains about.
    const where = (output: string) => output.replace(/\S*example-(\d+)\.mts/g, (_, n: string) => examples[Number(n)]!.where);
    expect(result.ok ? '' : where(result.output)).toBe('');
  }, 60_000);
});
