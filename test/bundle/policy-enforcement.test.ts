/**
 * The handling rules enforced where it matters: sealBundle refuses, the override is visible to
 * the recipients it concerns, forwarding keeps the originator signature and obeys TLP.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundle } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { forwardBundle } from '../../src/bundle/forward.js';
import { PolicyViolationError } from '../../src/policy/override.js';
import type { HandlingMarkings } from '../../src/policy/markings.js';
import { AuditLog, MemoryAuditStore } from '../../src/audit/log.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { cast, expectCode, rejection, stixFixture, type Agent } from './bundle-kit.js';

let c: Awaited<ReturnType<typeof cast>>;
beforeAll(async () => {
  c = await cast();
});

function bundle(markings: HandlingMarkings, expiresAt?: Date): BundleBuilder {
  return new BundleBuilder({ title: 'Poison Ivy', summary: 'C2 update', markings, ...(expiresAt ? { expiresAt } : {}) })
    .addText('note.txt', 'C2 moved to a new host.')
    .addStix('poisonivy.json', stixFixture('poisonivy'));
}

async function sealTo(markings: HandlingMarkings, to: Agent[], expiresAt?: Date): Promise<Uint8Array> {
  const sealed = await sealBundle(bundle(markings, expiresAt), { sender: c.ayu.identity, recipients: to.map((a) => a.named) });
  return sealed.deliveries[0]!.envelope;
}

async function violations(p: Promise<unknown>): Promise<[string, string | null][]> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(PolicyViolationError);
  expect(e.code).toBe('ERR_POLICY_VIOLATION');
  return (e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name ?? null]);
}

describe('sealBundle enforces the rules against recipient key card attributes', () => {
  it('refuses TLP:RED to a recipient reached through a group, naming the recipient and rule', async () => {
    const p = sealBundle(bundle({ tlp: 'RED' }), { sender: c.ayu.identity, recipients: [c.budi.named, c.mei.viaGroup] });
    expect(await violations(p)).toEqual([['tlp-red-named-only', 'Mei Ling']]);
  });

  it('refuses REL TO ID, MY for a Singaporean recipient', async () => {
    const markings = { tlp: 'GREEN' as const, releasableTo: { countries: ['ID', 'MY'], organizations: [] } };
    const p = sealBundle(bundle(markings), { sender: c.ayu.identity, recipients: [c.mei.named, c.tan.named] });
    expect(await violations(p)).toEqual([['releasability', 'Tan']]);
  });

  it('refuses AMBER+STRICT outside the organization and AMBER outside the named ones', async () => {
    expect(await violations(sealTo({ tlp: 'AMBER+STRICT' }, [c.budi, c.citra]))).toEqual([['tlp-amber-strict-organization', 'Citra']]);
    expect(await violations(sealTo({ tlp: 'AMBER' }, [c.citra]))).toEqual([['tlp-amber-organizations', 'Citra']]);
    await expect(sealTo({ tlp: 'AMBER', amberOrganizations: ['POLRI'] }, [c.citra])).resolves.toBeInstanceOf(Uint8Array);
  });

  it('an authorised override seals anyway, and the note is visible to the recipient and in the audit trail', async () => {
    const store = new MemoryAuditStore();
    const audit = await AuditLog.open(store, c.ayu.keys.signing);
    const override = { reason: 'Joint operation KILAT: ISD liaison needs the C2 list', authorisedBy: 'Deputy Director Ops, order 17/2025' };
    const markings = { tlp: 'AMBER' as const, releasableTo: { countries: ['ID', 'MY'], organizations: [] } };
    const sealed = await sealBundle(bundle(markings), { sender: c.ayu.identity, recipients: [c.budi.named, c.tan.named], override, audit });
    expect(sealed.override!.lifted.map((l) => l.rule)).toEqual(['tlp-amber-organizations', 'releasability']);
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.tan.openKeys });
    expect(opened.manifest.override).toEqual({
      reason: override.reason,
      authorisedBy: override.authorisedBy,
      lifted: [
        { rule: 'tlp-amber-organizations', recipient: c.tan.attributes.fingerprint, item: null },
        { rule: 'releasability', recipient: c.tan.attributes.fingerprint, item: null },
      ],
    });
    const log = await verifyAuditLog(store.bytes());
    expect(log.ok).toBe(true);
    expect(log.entries.map((e) => e.event)).toEqual(['override', 'sealed']);
    expect(log.entries[0]!.override!.reason).toBe(override.reason);
    expect(log.entries[0]!.override!.lifted.map((l) => l.rule)).toEqual(['tlp-amber-organizations', 'releasability']);
  });

  it('no override note when nothing needed overriding', async () => {
    const sealed = await sealBundle(bundle({ tlp: 'GREEN' }), { sender: c.ayu.identity, recipients: [c.tan.named], override: { reason: 'just in case', authorisedBy: 'me' } });
    expect(sealed.override).toBeNull();
    const opened = await openBundle(sealed.deliveries[0]!.envelope, { keys: c.tan.openKeys });
    expect(opened.manifest.override).toBeNull();
  });
});

describe('forwardBundle', () => {
  it('re-seals to new recipients, visibly forwarded, with the originator signature intact', async () => {
    const original = await sealTo({ tlp: 'GREEN' }, [c.budi]);
    const first = await openBundle(original, { keys: c.budi.openKeys });
    const fwd = await forwardBundle(original, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.mei.named] });
    const atMei = await openBundle(fwd.envelope, { keys: c.mei.openKeys, trustedSenders: [c.budi.keys.signing.publicKey] });
    expect(atMei.forwarded).toBe(true);
    expect(atMei.originator.name).toBe('Ayu');
    expect(atMei.sender.name).toBe('Budi');
    expect(atMei.manifestDigest).toEqual(first.manifestDigest);
    expect(atMei.forwards).toHaveLength(1);
    expect(atMei.forwards[0]!.forwarder.fingerprint).toEqual(c.budi.attributes.fingerprint);
    expect(atMei.forwards[0]!.to).toEqual([c.mei.attributes.fingerprint]);
    expect(atMei.forwards[0]!.receivedIn).toEqual(first.envelope.envelopeId);
    const items = await atMei.readAll();
    expect(items.map((i) => i.name)).toEqual(['note.txt', 'poisonivy.json']);
    // And once more: Mei to Tan. The chain grows, the originator stays.
    const again = await forwardBundle(fwd.envelope, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.tan.named] });
    const atTan = await openBundle(again.envelope, { keys: c.tan.openKeys });
    expect(atTan.forwards.map((f) => f.forwarder.name)).toEqual(['Budi', 'Mei Ling']);
    expect(atTan.originator.name).toBe('Ayu');
    expect(atTan.sender.name).toBe('Mei Ling');
    expect((await atTan.readAll())[1]!.bytes).toEqual(items[1]!.bytes);
  });

  it('refuses to forward TLP:RED at all, even with an override', async () => {
    const red = await sealTo({ tlp: 'RED' }, [c.budi]);
    const override = { reason: 'urgent', authorisedBy: 'Director' };
    expect(await violations(forwardBundle(red, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.ayu.named], override }))).toEqual([
      ['tlp-red-no-forward', null],
    ]);
  });

  it('keeps AMBER+STRICT inside the originator organization', async () => {
    const strict = await sealTo({ tlp: 'AMBER+STRICT' }, [c.budi]);
    expect(await violations(forwardBundle(strict, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.citra.named] }))).toEqual([
      ['tlp-amber-strict-organization', 'Citra'],
    ]);
    const colleague = await forwardBundle(strict, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.ayu.named] });
    expect((await openBundle(colleague.envelope, { keys: c.ayu.openKeys })).forwarded).toBe(true);
  });

  it('keeps a received AMBER bundle inside the forwarder organization unless overridden, and shows the override', async () => {
    const amber = await sealTo({ tlp: 'AMBER', amberOrganizations: ['PDRM'] }, [c.mei]);
    const opts = { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.tan.named] };
    expect(await violations(forwardBundle(amber, opts))).toEqual([['tlp-amber-forward-organization', 'Tan']]);
    const override = { reason: 'ISD is our client on this case', authorisedBy: 'PDRM SB Director' };
    const fwd = await forwardBundle(amber, { ...opts, override });
    const atTan = await openBundle(fwd.envelope, { keys: c.tan.openKeys });
    expect(atTan.forwards[0]!.override!.reason).toBe(override.reason);
    expect(atTan.forwards[0]!.override!.lifted).toEqual([{ rule: 'tlp-amber-forward-organization', recipient: c.tan.attributes.fingerprint, item: null }]);
  });

  it('checks REL TO for the new recipients', async () => {
    const rel = await sealTo({ tlp: 'GREEN', releasableTo: { countries: ['ID', 'MY'], organizations: [] } }, [c.mei]);
    expect(await violations(forwardBundle(rel, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.tan.named, c.citra.named] }))).toEqual([
      ['releasability', 'Tan'],
    ]);
  });

  it('refuses to forward an expired bundle', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const env = await sealTo({ tlp: 'GREEN' }, [c.budi], expiresAt);
    const later = new Date(expiresAt.getTime() + 1000);
    expect(await violations(forwardBundle(env, { keys: c.budi.openKeys, forwarder: c.budi.identity, recipients: [c.mei.named], now: later }))).toEqual([
      ['expired', null],
    ]);
  });

  it('the originator cannot forward its own bundle (it would hide who originated it)', async () => {
    const env = await sealBundle(bundle({ tlp: 'GREEN' }), { sender: c.ayu.identity, recipients: [c.ayu.named] });
    await expect(forwardBundle(env.deliveries[0]!.envelope, { keys: c.ayu.openKeys, forwarder: c.ayu.identity, recipients: [c.budi.named] })).rejects.toThrow(RangeError);
  });

  it('a forwarder that is not a recipient cannot forward', async () => {
    const env = await sealTo({ tlp: 'GREEN' }, [c.budi]);
    await expectCode(forwardBundle(env, { keys: c.tan.openKeys, forwarder: c.tan.identity, recipients: [c.mei.named] }), 'ERR_ENVELOPE_NOT_FOR_ME');
  });
});
