/**
 * The CLI's conventions (docs/CLI.md): help at every level, the version, strict option parsing,
 * usage errors as exit 2, passphrases from the environment, a file or a file descriptor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/main.js';
import { Cli, buildCli, expectOk, runCli, workFolder } from './cli-kit.js';

let script: string;
let work: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  script = await buildCli();
  work = await workFolder('basics');
});
afterAll(async () => {
  await work.remove();
});

describe('help and version', () => {
  it('lintas --help lists every command and exits 0; no arguments is a usage error', async () => {
    const r = await runCli(script, ['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.words.join(' '));
    const bare = await runCli(script, []);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: lintas COMMAND');
  });

  it('every command has --help, and "lintas help WORDS" says the same', async () => {
    for (const c of COMMANDS) {
      const r = await runCli(script, [...c.words, '--help']);
      expect(r.code, c.words.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: lintas ${c.words.join(' ')}`);
      for (const option of Object.keys(c.options)) expect(r.stdout).toContain(`--${option}`);
      expect(r.stdout).toContain('--passphrase-fd');
    }
    const viaHelp = await runCli(script, ['help', 'contact', 'verify']);
    const viaFlag = await runCli(script, ['contact', 'verify', '-h']);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('a command group alone lists its subcommands', async () => {
    const help = await runCli(script, ['identity', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('lintas identity create');
    expect(help.stdout).toContain('lintas identity rotate');
    const bare = await runCli(script, ['identity']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('lintas identity create');
    const wrong = await runCli(script, ['identity', 'destroy']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('no command "identity destroy"');
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const r = await runCli(script, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('usage errors exit 2 and name the problem', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['unknown option', ['inspect', '--frob'], /Unknown option '--frob'.*ERR_USAGE/s],
    ['missing option value', ['seal', '--to'], /ERR_USAGE/],
    ['missing argument', ['contact', 'verify', 'polri'], /Missing argument.*ERR_USAGE/s],
    ['too many arguments', ['identity', 'export', 'a', 'b'], /Unexpected argument "b"/],
    ['missing required option', ['seal', '--tlp', 'RED'], /--to is required/],
    ['bad TLP', ['seal', '--to', 'x', '--tlp', 'PURPLE'], /--tlp must be/],
    ['bad date', ['seal', '--to', 'x', '--tlp', 'RED', '--expires', 'tomorrow'], /--expires must be an ISO 8601 date/],
    ['bad transport', ['receive', '--via', 'ftp://x'], /is not a transport/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = await runCli(script, [...args, '--home', join(work.dir, 'nowhere')], { env: { PATH: process.env.PATH, LINTAS_PASSPHRASE: 'irrelevant-here' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    });
  }

  it('--json turns an error into a JSON document on stdout as well', async () => {
    const r = await runCli(script, ['inspect', join(work.dir, 'missing.lintas'), '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { error: { code: string; exitCode: number } };
    // The missing file is named with the argument it came from, not as a bare ENOENT.
    expect(doc.error.code).toBe('ERR_USAGE_FILE');
    expect(doc.error.exitCode).toBe(1);
    expect(r.stderr).toContain('FILE "');
    expect(r.stderr).toContain('missing.lintas" does not exist');
  });
});

describe('passphrases', () => {
  it('come from LINTAS_PASSPHRASE, --passphrase-file or --passphrase-fd, and are never echoed', async () => {
    const home = join(work.dir, 'pass-home');
    const secret = 'Tr0ub4dor&3 jakarta';
    const cli = new Cli(script, home, secret);
    const created = await expectOk(cli.run(['identity', 'create', 'bin', '--org', 'BIN', '--country', 'ID']));
    expect(created.stdout + created.stderr).not.toContain(secret);

    const noEnv = new Cli(script, home, null);
    const file = join(work.dir, 'passphrase.txt');
    await writeFile(file, `${secret}\nsecond line is ignored\n`, { mode: 0o600 });
    const viaFile = await noEnv.run(['identity', 'list', '--passphrase-file', file]);
    expect(viaFile.code).toBe(0);
    expect(viaFile.stdout).toContain('bin');
    const viaFd = await noEnv.run(['identity', 'list', '--passphrase-fd', '3'], { fds: [`${secret}\n`] });
    expect(viaFd.code).toBe(0);
    expect(viaFd.stdout).toContain('bin');
    for (const r of [viaFile, viaFd]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('a wrong passphrase exits 6 with ERR_KEYRING_WRONG_PASSPHRASE; none at all in a script exits 2', async () => {
    const home = join(work.dir, 'pass-home');
    const wrong = await new Cli(script, home, 'not the passphrase').run(['identity', 'list']);
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toContain('ERR_KEYRING_WRONG_PASSPHRASE');
    expect(wrong.stderr).not.toContain('not the passphrase');
    const none = await new Cli(script, home, null).run(['identity', 'list']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ERR_USAGE_NO_PASSPHRASE');
  });

  it('a new key ring refuses a passphrase shorter than 8 characters and creates nothing', async () => {
    const home = join(work.dir, 'short-home');
    const r = await new Cli(script, home, 'short').run(['identity', 'create', 'x', '--org', 'X', '--country', 'ID']);
    expect(r.code).toBe(2);
    const after = await new Cli(script, home, 'a long enough passphrase').run(['identity', 'list']);
    expect(after.code).toBe(6);
    expect(after.stderr).toContain('ERR_KEYRING_NOT_FOUND');
  });

  it('commands that need no key ring never ask for a passphrase', async () => {
    const r = await runCli(script, ['inspect', '--help'], { env: { PATH: process.env.PATH } });
    expect(r.code).toBe(0);
  });
});
