/**
 * Selective release (SPEC 12.7): one bundle, items with different "REL TO", each recipient able
 * to decrypt only what is released to it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder } from '../../src/bundle/builder.js';
import { sealBundle } from '../../src/bundle/seal.js';
import { openBundle } from '../../src/bundle/open.js';
import { forwardBundle } from '../../src/bundle/forward.js';
import { open } from '../../src/envelope/open.js';
import { PolicyViolationError } from '../../src/policy/override.js';
import { agent, cast, contains, expectCode, rejection, stixFixture, utf8, type Agent } from './bundle-kit.js';

let c: Awaited<ReturnType<typeof cast>>;
let mohd: Agent;
beforeAll(async () => {
  c = await cast();
  mohd = await agent('Mohd', 'PDRM', 'MY');
});

const MY_SECRET = 'Source KUCING met the courier at Johor Bahru';
const SG_SECRET = 'Source MERLION photographed the handover';

function operation(): BundleBuilder {
  return new BundleBuilder({ title: 'Operation KILAT', summary: 'Courier network, three services', markings: { tlp: 'GREEN' } })
    .addStix('apt1.json', stixFixture('apt1'))
    .addText('my-source.txt', MY_SECRET, { releasableTo: { countries: ['MY'], organizations: [] } })
    .addText('sg-source.txt', SG_SECRET, { releasableTo: { countries: ['SG'], organizations: [] } })
    .addText('id-and-my.txt', 'Shared between BIN and PDRM', { releasableTo: { countries: ['ID', 'MY'], organizations: [] } });
}

describe('selective release', () => {
  it('seals one envelope per release group, each carrying only the released items', async () => {
    const sealed = await sealBundle(operation(), { sender: c.ayu.identity, recipients: [c.budi.named, c.mei.named, c.tan.named, mohd.named] });
    expect(sealed.deliveries.map((d) => [d.recipients.map((r) => r.name), d.items])).toEqual([
      [['Budi'], ['apt1.json', 'id-and-my.txt']],
      [['Mei Ling', 'Mohd'], ['apt1.json', 'my-source.txt', 'id-and-my.txt']],
      [['Tan'], ['apt1.json', 'sg-source.txt']],
    ]);
    const [forBudi, forMy, forTan] = sealed.deliveries.map((d) => d.envelope);

    const atTan = await openBundle(forTan!, { keys: c.tan.openKeys });
    expect(atTan.manifest.id).toEqual(sealed.bundleId);
    expect(atTan.manifest.items.map((i) => i.name)).toEqual(['apt1.json', 'sg-source.txt']);
    const tanItems = await atTan.readAll();
    expect(new TextDecoder().decode(tanItems[1]!.bytes)).toBe(SG_SECRET);

    const atMohd = await openBundle(forMy!, { keys: mohd.openKeys });
    expect(atMohd.manifest.items.map((i) => i.name)).toEqual(['apt1.json', 'my-source.txt', 'id-and-my.txt']);
    expect(atMohd.manifest.items[1]!.releasableTo).toEqual({ countries: ['MY'], organizations: [] });

    // Tan cannot open the other envelopes at all ...
    await expectCode(openBundle(forMy!, { keys: c.tan.openKeys }), 'ERR_ENVELOPE_NOT_FOR_ME');
    await expectCode(openBundle(forBudi!, { keys: c.tan.openKeys }), 'ERR_ENVELOPE_NOT_FOR_ME');
    // ... and what he can decrypt holds neither the bytes nor the name of the Malaysian item.
    const tanPayload = (await open(forTan!, { keys: c.tan.openKeys })).payload;
    expect(contains(tanPayload, utf8(MY_SECRET))).toBe(false);
    expect(contains(tanPayload, utf8('my-source.txt'))).toBe(false);
    expect(contains(tanPayload, utf8(SG_SECRET))).toBe(true);
    const budiPayload = (await open(forBudi!, { keys: c.budi.openKeys })).payload;
    expect(contains(budiPayload, utf8(MY_SECRET))).toBe(false);
    expect(contains(budiPayload, utf8(SG_SECRET))).toBe(false);
  });

  it('refuses a recipient to whom no item is released, unless overridden', async () => {
    const b = new BundleBuilder({ title: 'MY only', markings: { tlp: 'GREEN' } }).addText('x.txt', 'x', { releasableTo: { countries: ['MY'], organizations: [] } });
    const e = await rejection(sealBundle(b, { sender: c.ayu.identity, recipients: [c.mei.named, c.tan.named] }));
    expect((e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name])).toEqual([['nothing-released', 'Tan']]);
  });

  it('the forward of a delivery obeys its items REL TO', async () => {
    const sealed = await sealBundle(operation(), { sender: c.ayu.identity, recipients: [c.mei.named] });
    const e = await rejection(forwardBundle(sealed.deliveries[0]!.envelope, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [c.budi.named] }));
    expect((e as PolicyViolationError).violations.map((v) => [v.rule, v.recipient?.name, v.item])).toEqual([['item-releasability', 'Budi', 'my-source.txt']]);
    const ok = await forwardBundle(sealed.deliveries[0]!.envelope, { keys: c.mei.openKeys, forwarder: c.mei.identity, recipients: [mohd.named] });
    expect((await openBundle(ok.envelope, { keys: mohd.openKeys })).manifest.items).toHaveLength(3);
  });
});
