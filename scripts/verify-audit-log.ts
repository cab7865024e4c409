/**
 * Verify a lintas audit log file, for reviewers (SPEC 12.8):
 *
 *   npm run audit:verify -- <log file> [--signer <64 hex>] [--anchor <seq>:<64 hex>]
 *
 * --signer   the Ed25519 public key the log must be signed with (else: whoever signed entry 0)
 * --anchor   a head noted earlier (seq and hash of an entry), to detect entries cut off the end
 *
 * Prints one line per entry and a verdict; exits 0 if the log verifies, 1 if it is broken,
 * 2 for a usage error.
 */
import { pathToFileURL } from 'node:url';
import { verifyAuditLog } from '../src/node.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function unhex(s: string, what: string): Uint8Array {
  if (!/^([0-9a-f]{2}){32}$/i.test(s)) throw new Error(`${what} must be 64 hex digits`);
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

/** Run the command with `args`; returns the exit code. */
export async function verifyAuditLogCommand(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const path = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!path) {
    out('usage: npm run audit:verify -- <log file> [--signer <hex>] [--anchor <seq>:<hex>]');
    return 2;
  }
  const options: Parameters<typeof verifyAuditLog>[1] = {};
  try {
    const signer = value('--signer');
    if (signer !== undefined) options.signer = unhex(signer, '--signer');
    const anchor = value('--anchor');
    if (anchor !== undefined) {
      const [seq, hash] = anchor.split(':');
      if (!/^\d+$/.test(seq ?? '')) throw new Error('--anchor must be <seq>:<hash>');
      options.anchor = { seq: Number(seq), hash: unhex(hash ?? '', '--anchor hash') };
    }
  } catch (e) {
    out((e as Error).message);
    return 2;
  }
  const r = await verifyAuditLog(path, options);
  for (const e of r.entries) {
    const parts = [`#${e.seq}`, e.at.toISOString(), e.event];
    if (e.bundleId) parts.push(`bundle ${hex(e.bundleId)}`);
    if (e.markings) parts.push(`TLP:${e.markings.tlp}`);
    if (e.to) parts.push(`to ${e.to.length}`);
    if (e.override) parts.push(`OVERRIDE by ${e.override.authorisedBy}: ${e.override.reason}`);
    out(parts.join('  '));
  }
  if (r.ok) {
    out(`OK: ${r.entries.length} entries${r.signer ? `, signed by ${hex(r.signer)}` : ''}${r.head ? `, head ${r.head.seq}:${hex(r.head.hash)}` : ''}`);
    return 0;
  }
  out(`BROKEN: ${r.firstBroken!.message} [${r.firstBroken!.reason}]`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  verifyAuditLogCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(2);
    },
  );
}
