/**
 * The reviewer's command (`npm run audit:verify`): exit 0 for a good log, 1 naming the first
 * broken record, 2 for usage errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditLogCommand } from '../../scripts/verify-audit-log.js';
import { openAuditLogFile } from '../../src/audit/node.js';
import { identityKeysFromSeed } from '../../src/keys/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lintas-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('audit:verify', () => {
  it('reports a good log, a broken one, a wrong signer and a missing anchor', async () => {
    const keys = await identityKeysFromSeed(new Uint8Array(32).fill(3));
    const other = await identityKeysFromSeed(new Uint8Array(32).fill(4));
    const path = join(dir, 'audit.log');
    const log = await openAuditLogFile(path, keys.signing);
    for (const event of ['sealed', 'sent', 'received'] as const) await log.record({ event, markings: { tlp: 'GREEN' } });
    const head = log.head()!;
    const lines: string[] = [];
    expect(await verifyAuditLogCommand([path, '--signer', hex(keys.signing.publicKey)], (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toMatch(/^OK: 3 entries/);
    expect(await verifyAuditLogCommand([path, '--signer', hex(other.signing.publicKey)], () => {})).toBe(1);

    const bytes = readFileSync(path);
    writeFileSync(join(dir, 'short.log'), bytes.subarray(0, bytes.length - 10));
    const broken: string[] = [];
    expect(await verifyAuditLogCommand([join(dir, 'short.log')], (l) => broken.push(l))).toBe(1);
    expect(broken.at(-1)).toMatch(/^BROKEN: Audit log record 2 .*\[truncated\]$/);

    await log.record({ event: 'opened' });
    expect(await verifyAuditLogCommand([path, '--anchor', `${head.seq}:${hex(head.hash)}`], () => {})).toBe(0);
    expect(await verifyAuditLogCommand([path, '--anchor', `9:${hex(head.hash)}`], () => {})).toBe(1);
    expect(await verifyAuditLogCommand([], () => {})).toBe(2);
    expect(await verifyAuditLogCommand([path, '--signer', 'zz'], () => {})).toBe(2);
  });
});
