/**
 * The API reference (`npm run docs:api`, typedoc) must build without a single warning: every
 * export of `lintas` and `lintas/node` documented, every `{@link}` resolving, nothing referenced
 * that is not exported. typedoc.json turns those checks on and makes warnings errors; this test
 * runs the same validation (without writing the site), so an undocumented export fails the suite
 * and not only the docs build.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

describe('API reference', () => {
  it('is configured to validate the two entry points and to fail on any warning', async () => {
    const config = JSON.parse(await readFile(join(ROOT, 'typedoc.json'), 'utf8'));
    expect(config.entryPoints).toEqual(['src/index.ts', 'src/node.ts']);
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.validation).toMatchObject({ notExported: true, invalidLink: true, notDocumented: true });
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['docs:api']).toBe('typedoc');
  });

  it('builds with no warning: every export documented, every link resolved', async () => {
    const typedoc = join(ROOT, 'node_modules', '.bin', 'typedoc');
    let output: string;
    try {
      const { stdout, stderr } = await run(typedoc, ['--emit', 'none'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
      output = stdout + stderr;
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      // The typedoc output names each undocumented export or broken link.
      throw new Error(`typedoc validation failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    expect(output).not.toMatch(/\[(warning|error)\]/);
  }, 120_000);
});
