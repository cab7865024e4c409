/**
 * The commands examples/README.md tells users to type: every `demo` / `example:*` npm script is
 * listed there, each one-file example it runs exists and has its own test here, and `npm run`
 * really starts one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
const readme = readFileSync(`${ROOT}examples/README.md`, 'utf8');
const exampleScripts = Object.entries(scripts).filter(([name]) => name === 'demo' || name.startsWith('example:'));

describe('example npm scripts', () => {
  it('are listed in the README; each one-file example runs a file that has its test here', () => {
    expect(exampleScripts.map(([name]) => name)).toEqual(expect.arrayContaining(['demo', 'example:multinational', 'example:rotation', 'example:tip-line']));
    for (const [name, command] of exampleScripts) {
      expect(readme).toContain(`\`npm run ${name}\``);
      // Examples in their own folder (the browser page) are tested where they live.
      const file = /^tsx (examples\/[a-z-]+\.ts)$/.exec(command)?.[1];
      if (file === undefined) continue;
      expect(existsSync(`${ROOT}${file}`), `${name}: ${command}`).toBe(true);
      expect(existsSync(`${ROOT}test/${file.replace(/\.ts$/, '.test.ts')}`), `test for ${file}`).toBe(true);
    }
  });

  it('npm run example:rotation runs the example', async () => {
    const child = spawn('npm', ['run', '--silent', 'example:rotation'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('sealing to PDRM now: ERR_KEYRING_RECIPIENT_REVOKED');
  }, 60_000);
});
