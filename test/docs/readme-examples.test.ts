/**
 * Every ```ts block of README.md runs as written and type-checks (issue 2: "the README's code
 * examples run as written"). The blocks are what new users copy first, so a renamed option, a
 * wrong type or a call that never returns must fail here, not in their hands.
 *
 * Each block becomes a module of its own: its `from 'lintas'` / `from 'lintas/node'` imports are
 * pointed at src/, and the few inputs the README's prose names (`passphrase`, `pdrmCardArmor`,
 * `incoming`, ...) are defined by a prelude below, with real values: real key cards, really
 * sealed envelopes, files on disk. Nothing else is added or rewritten. A block without a prelude
 * must be self-contained; a prelude whose block is gone fails too. Each block runs with tsx in a
 * fresh working folder (the README uses relative file names), and all of them are type-checked
 * together by tsc, strict, as the repository's own code is.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'node_modules', '.bin');
const INDEX = JSON.stringify(join(ROOT, 'src', 'index.ts'));
const NODE = JSON.stringify(join(ROOT, 'src', 'node.ts'));

interface Block {
  /** `Section heading #n`, n counting the ```ts blocks of that section from 1. */
  key: string;
  /** Line of the opening fence in README.md. */
  line: number;
  code: string;
}

interface Prelude {
  /** The free names of the block this prelude defines; each must appear in the block. */
  inputs: string[];
  /** TypeScript run before the block; its own helpers are named `__*` so as not to collide. */
  code: string;
  /** What the block (or the prelude's stand-ins for the app, like `store`) must print. */
  prints?: RegExp[];
  /** Checks on the working folder after the block ran. */
  after?: (dir: string, expect: ExpectStatic) => Promise<void>;
}

function readmeBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const counts = new Map<string, number>();
  let section = '(top)';
  let fence: { line: number; lang: string; lines: string[] } | null = null;
  text.split('\n').forEach((line, i) => {
    if (fence) {
      if (/^```\s*$/.test(line)) {
        if (fence.lang === 'ts' || fence.lang === 'typescript') {
          const n = (counts.get(section) ?? 0) + 1;
          counts.set(section, n);
          blocks.push({ key: `${section} #${n}`, line: fence.line, code: fence.lines.join('\n') });
        }
        fence = null;
      } else {
        fence.lines.push(line);
      }
    } else if (line.startsWith('```')) {
      fence = { line: i + 1, lang: line.slice(3).trim().toLowerCase(), lines: [] };
    } else if (/^#{1,3} /.test(line)) {
      section = line.replace(/^#+ /, '').trim();
    }
  });
  return blocks;
}

function pointAtSource(code: string): string {
  return code.replace(/from\s+['"]lintas\/node['"]/g, `from ${NODE}`).replace(/from\s+['"]lintas['"]/g, `from ${INDEX}`);
}

/** Imported by every prelude; the namespace keeps the block's own imports free of clashes. */
const IMPORT = `import * as __lintas from ${NODE};\n`;

/** The two agencies of the Usage section, and an envelope from BIN to POLRI sealed as there. */
const USAGE_AGENCIES = `
const bin = await __lintas.generateIdentityKeys();
const polri = await __lintas.generateIdentityKeys();
const __payload = new TextEncoder().encode('TLP:AMBER courier arrives 07:40');
`;

/**
 * PDRM's identity from a fixed seed and fixed dates: its key card is always the same bytes, so
 * the fingerprint the README's key ring block compares is PDRM's real one. If the key card
 * format changes, that block fails with ERR_KEYRING_FINGERPRINT_MISMATCH: put the new
 * `formatFingerprint` of this card into README.md.
 */
const PDRM_IDENTITY = `
const __pdrmKeys = await __lintas.identityKeysFromSeed(new Uint8Array(32).fill(0x4d));
const __pdrmCard = { name: 'PDRM', organization: 'PDRM', country: 'MY', validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: new Date('2099-01-01T00:00:00Z') };
`;

/** BIN's key ring (in memory) with PDRM as a verified contact in group ASEAN-CT, and PDRM's ring knowing BIN. */
const TWO_RINGS = `${PDRM_IDENTITY}
const __rawKey = () => crypto.getRandomValues(new Uint8Array(32));
const ring = await __lintas.KeyRing.create(new __lintas.MemoryKeyRingStorage(), { rawKey: __rawKey() });
const __bin = await ring.createIdentity({ name: 'BIN', organization: 'Badan Intelijen Negara', country: 'ID' });
const pdrmRing = await __lintas.KeyRing.create(new __lintas.MemoryKeyRingStorage(), { rawKey: __rawKey() });
const __pdrm = await pdrmRing.createIdentity({ ...__pdrmCard, keys: __pdrmKeys });
await ring.importKeyCard(__pdrm.card, { name: 'PDRM', groups: ['ASEAN-CT'], fingerprint: __lintas.formatFingerprint(__pdrm.card) });
await pdrmRing.importKeyCard(__bin.card, { name: 'BIN', fingerprint: __lintas.formatFingerprint(__bin.card) });
`;

const PRELUDES: Record<string, Prelude> = {
  'Usage #1': {
    inputs: [],
    code: '',
    prints: [/^true TLP:AMBER courier arrives 07:40$/m, /^-----BEGIN LINTAS ENVELOPE-----$/m, /^-----END LINTAS ENVELOPE-----$/m],
  },
  'Key ring #1': {
    inputs: ['passphrase', 'pdrmCardArmor', 'report'],
    code: `${PDRM_IDENTITY}
const passphrase = 'correct horse battery staple';
const pdrmCardArmor = __lintas.armorKeyCard(await __lintas.createKeyCard({ ...__pdrmCard, keys: __pdrmKeys }));
const report = new TextEncoder().encode('TLP:AMBER Poison Ivy C2 moved to 203.0.113.7');
`,
    prints: [/^-----BEGIN LINTAS KEY CARD-----$/m, /^-----END LINTAS KEY CARD-----\n \d{5}( \d{5}){7}$/m],
    after: async (dir, expect) => {
      // The ring really went to disk, encrypted: the passphrase opens it and PDRM is verified.
      const { KeyRing } = await import('../../src/index.js');
      const { FileKeyRingStorage } = await import('../../src/node.js');
      const ring = await KeyRing.open(new FileKeyRingStorage(join(dir, 'bin.keyring')), { passphrase: 'correct horse battery staple' });
      try {
        expect(ring.contact('PDRM').verification).toBe('verified');
        expect(ring.groupMembers('ASEAN-CT').map((c) => c.name)).toEqual(['PDRM']);
      } finally {
        ring.close();
      }
    },
  },
  'Key ring #2': {
    inputs: ['ring', 'incoming'],
    code: `${TWO_RINGS}
const incoming = __lintas.armor(await pdrmRing.seal(new TextEncoder().encode('TLP:AMBER reply'), { from: 'PDRM', to: ['BIN'] }));
`,
  },
  'Transports #1': {
    inputs: ['polriCard', 'envelope', 'polri', 'bin', 'store'],
    code: `${USAGE_AGENCIES}
const envelope = await __lintas.seal(__payload, { recipients: [polri.xwing], sender: bin.signing, padding: true });
const polriCard = await __lintas.createKeyCard({ keys: polri, name: 'POLRI', organization: 'Kepolisian Negara Republik Indonesia', country: 'ID', validUntil: new Date(Date.now() + 86_400_000) });
async function store(payload: Uint8Array): Promise<void> {
  console.log('stored:', new TextDecoder().decode(payload));
}
`,
    prints: [/^stored: TLP:AMBER courier arrives 07:40$/m],
  },
  'Bundles and handling rules #1': {
    inputs: ['ring', 'stixJson', 'send', 'pdrmRing', 'received', 'save', 'pdrmAudit'],
    code: `${TWO_RINGS}
const __ops = await __lintas.createKeyCard({ keys: await __lintas.generateIdentityKeys(), name: 'PDRM-ops', organization: 'PDRM', country: 'MY', validUntil: new Date(Date.now() + 86_400_000) });
await pdrmRing.importKeyCard(__ops, { name: 'PDRM-ops', fingerprint: __ops.fingerprint });
const stixJson = await (await import('node:fs/promises')).readFile(${JSON.stringify(join(ROOT, 'examples', 'data', 'poisonivy.json'))}, 'utf8');
await (await import('node:fs/promises')).writeFile('capture.pcap', crypto.getRandomValues(new Uint8Array(50_000)));
/** The transport: what is sent to PDRM arrives as \`received\`. */
let received!: Uint8Array;
async function send(to: (string | __lintas.PolicyRecipient)[], envelope: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const chunks: Uint8Array[] = [];
  if (envelope instanceof Uint8Array) chunks.push(envelope);
  else for await (const chunk of envelope) chunks.push(chunk);
  const names = to.map((r) => (typeof r === 'string' ? r : r.name));
  console.log('sent to', names.join(', '));
  if (names.includes('PDRM')) received = Buffer.concat(chunks);
}
async function save(name: string, data: AsyncIterable<Uint8Array>): Promise<void> {
  let n = 0;
  for await (const chunk of data) n += chunk.length;
  console.log('saved', name, n);
}
const pdrmAudit = await __lintas.openAuditLogFile('pdrm-audit.log', pdrmRing.identityKeys('PDRM').signing);
`,
    prints: [/^sent to PDRM$/m, /^saved poisonivy\.json \d+$/m, /^saved capture\.pcap 50000$/m, /^saved my-source\.txt 13$/m, /^sent to PDRM-ops$/m],
    after: async (dir, expect) => {
      const { verifyAuditLog } = await import('../../src/node.js');
      const bin = await verifyAuditLog(join(dir, 'bin-audit.log'));
      const pdrm = await verifyAuditLog(join(dir, 'pdrm-audit.log'));
      expect(bin.ok && pdrm.ok).toBe(true);
      expect(bin.entries.map((e) => e.event)).toEqual(['sealed']);
      expect(pdrm.entries.map((e) => e.event)).toEqual(['opened', 'forwarded']);
    },
  },
  'Performance and large files #1': {
    inputs: ['recipients', 'sender', 'keys', 'file'],
    code: `${USAGE_AGENCIES}
const recipients = [polri.xwing];
const sender = bin.signing;
const keys = [polri.x25519, polri.xwing];
// 3 MiB: several chunks, so the stream really streams.
await (await import('node:fs/promises')).writeFile('disk.img', (await import('node:crypto')).randomBytes(3 << 20));
const file = new File([__payload], 'note.txt');
`,
    after: async (dir, expect) => {
      const [original, opened] = await Promise.all([readFile(join(dir, 'disk.img')), readFile(join(dir, 'disk.img.part'))]);
      expect(opened.length).toBe(3 << 20);
      expect(opened.equals(original)).toBe(true);
    },
  },
  'Performance and large files #2': {
    inputs: ['sender', 'me', 'payloads', 'recipients'],
    code: `${USAGE_AGENCIES}
const sender = bin;
const me = polri;
const recipients = [polri.xwing];
const payloads = [new TextEncoder().encode('one'), new TextEncoder().encode('two')];
`,
  },
};

const blocks = readmeBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
const preludeOf = (b: Block): Prelude | undefined => PRELUDES[b.key];

let dir: string;
const files = new Map<string, string>();
/** Generated file name -> README.md line of one of its lines, to report tsc errors where they are. */
const readmeLine = new Map<string, (line: number) => number>();
/** tsc's output (empty when the blocks type-check); started before the blocks run, to overlap them. */
let typeCheck: Promise<string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lintas-readme-'));
  // "type": "module" makes tsx run the blocks as ES modules (top-level await, as the README uses).
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [i, b] of blocks.entries()) {
    const prelude = preludeOf(b);
    const path = join(dir, `block-${i + 1}.ts`);
    const head = `${prelude ? IMPORT + prelude.code : ''}\n// ---- README.md line ${b.line}: ${b.key}\n`;
    await writeFile(path, `${head}${pointAtSource(b.code)}\nexport {};\n`);
    files.set(b.key, path);
    readmeLine.set(`block-${i + 1}.ts`, (line) => line - (head.split('\n').length - 1) + b.line);
  }
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2022', 'DOM'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      isolatedModules: true,
      esModuleInterop: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      noEmit: true,
    },
    files: [...files.values()],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  typeCheck = run(join(BIN, 'tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
    () => '',
    (e: { stdout?: string; stderr?: string }) =>
      (`${e.stdout ?? ''}${e.stderr ?? ''}` || 'tsc failed').replace(/(block-\d+\.ts)\((\d+),(\d+)\)/g, (all, file: string, line: string, col: string) => {
        const at = readmeLine.get(file)?.(Number(line));
        return at === undefined ? all : `README.md:${at}:${col} (${file})`;
      }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('README.md TypeScript blocks', () => {
  it('are found, one prelude per block that needs one, each input used', ({ expect }) => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const used = new Set(blocks.map((b) => b.key));
    expect(Object.keys(PRELUDES).filter((k) => !used.has(k)), 'preludes without a README block').toEqual([]);
    for (const b of blocks) {
      for (const name of preludeOf(b)?.inputs ?? []) {
        expect(new RegExp(`\\b${name}\\b`).test(b.code), `${b.key} uses ${name}`).toBe(true);
      }
      for (const [, from] of b.code.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
        expect(from === 'lintas' || from === 'lintas/node' || from!.startsWith('node:'), `${b.key} imports ${from}`).toBe(true);
      }
    }
  });

  it('type-check (tsc --noEmit, strict)', { timeout: 120_000 }, async ({ expect }) => {
    expect(await typeCheck).toBe('');
  });

  it.for(blocks)('$key (README.md line $line) runs', { timeout: 120_000 }, async (b, { expect }) => {
    const work = join(dir, `work-${b.line}`);
    await mkdir(work);
    const { stdout } = await run(join(BIN, 'tsx'), [files.get(b.key)!], { cwd: work, timeout: 90_000, maxBuffer: 16 << 20 }).catch(
      (e: { stdout?: string; stderr?: string; killed?: boolean; message: string }) => {
        throw new Error(`README.md line ${b.line} (${b.key}) failed${e.killed ? ' (did not finish)' : ''}:\n${e.stderr || e.message}`);
      },
    );
    const prelude = preludeOf(b);
    for (const pattern of prelude?.prints ?? []) expect(stdout, `${b.key} prints ${pattern}`).toMatch(pattern);
    await prelude?.after?.(work, expect);
  });
});
