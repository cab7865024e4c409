/**
 * `lintas send`, `lintas receive`, `lintas relay start` (docs/CLI.md, docs/TRANSPORTS.md): move
 * sealed envelopes through any shipped transport, named by a URI:
 *
 *   drop:PATH                a drop folder on a shared disk
 *   http(s)://HOST:PORT      an HTTP relay (`lintas relay start`)
 *   redis://HOST:PORT        Redis Streams (needs the optional `redis` package); also
 *   redis+cluster://…, redis+sentinel://…  (src/cli/redis-url.ts)
 *   nats://HOST:PORT[,HOST:PORT]  NATS JetStream (needs the optional @nats-io packages; src/cli/nats-url.ts)
 *
 * Mailboxes are derived from signing keys (mailboxId), never from names.
 */
import { mkdir, rm } from 'node:fs/promises';
import { mkdirSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LintasError, isLintasError } from '../../errors/index.js';
import { toHex } from '../../envelope/hex.js';
import { wipe } from '../../crypto/bytes.js';
import type { SigningKeyPair } from '../../keys/index.js';
import type { KeyRing } from '../../keyring/index.js';
import { receiveBundles, type KeyRingOpenedBundle } from '../../bundle/index.js';
import { mailboxId } from '../../transports/mailbox.js';
import type { Transport } from '../../transports/transport.js';
import { DirectoryQuarantine } from '../../transports/directory-quarantine.js';
import { RelayTransport } from '../../transports/relay/client.js';
import { nodeHttpFetch } from '../../transports/relay/node-http-fetch.js';
import { DropFolderTransport } from '../../transports/drop-folder.js';
import { RedisStreamsTransport, type RedisCommandClient } from '../../transports/redis-streams.js';
import { redisClusterClient, redisSentinelClient, type RedisClusterLike, type RedisSentinelLike } from '../../transports/redis-cluster.js';
import type { RedisDurabilityRisk } from '../../transports/redis-server-check.js';
import { isRedisVia, parseRedisVia, redact } from '../redis-url.js';
import { isNatsVia, parseNatsVia, redactNatsVia } from '../nats-url.js';
import { connectNats, type NatsModule } from '../nats-connect.js';
import { NatsJetStreamTransport, type NatsDurabilityRisk } from '../../transports/nats-jetstream.js';
import { startRelay } from '../../transports/relay/server.js';
import { flag, requiredString, stringList, stringOption, usageError, type Command } from '../command.js';
import { formatBytes } from '../terminal.js';
import { jsonReplacer, type CommandContext } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { stopSignal } from '../stop-signal.js';
import { LISTEN_OPTIONS, listenOptions } from '../listen-options.js';
import { bundleReport, recordOpened } from './bundle.js';
import { saveItems } from '../save-items.js';
import { byteSizeOption } from '../byte-size.js';
import { DigestingSource } from '../input-source.js';
import { readEnvelopeFile, spoolEnvelope, type SpooledEnvelope } from '../envelope-files.js';
import { checkEnvelopeSize, checkRelayEnvelopeSize, explainTooLarge, MAX_ENVELOPE_OPTION } from '../transport-limits.js';
import { readKeyCards } from './contact.js';
import { RELAY_LIMIT_OPTIONS, relayLimitsFrom } from '../relay-limit-options.js';

const VIA_HELP = 'drop:PATH, http(s)://HOST:PORT of a relay, redis://HOST:PORT, redis+cluster://HOST:PORT,HOST:PORT or redis+sentinel://HOST:PORT,HOST:PORT/MASTER or nats://HOST:PORT[,HOST:PORT] (JetStream)';

/** Signing keys a transport authenticates with (relay challenges); wiped when the command ends. */
interface TransportKeys {
  sender?: SigningKeyPair;
  mailboxes?: SigningKeyPair[];
}

/** The kind of transport a `--via` URI names; checked before anything else is done. */
function transportKind(via: string): 'drop' | 'relay' | 'redis' | 'nats' {
  if (via.startsWith('drop:')) {
    if (via === 'drop:') throw usageError('--via drop: needs a folder, e.g. drop:/srv/exchange');
    return 'drop';
  }
  if (/^https?:\/\/./i.test(via)) return 'relay';
  if (isRedisVia(via)) {
    parseRedisVia(via); // a malformed Redis URL is a usage error before anything is done
    return 'redis';
  }
  if (isNatsVia(via)) {
    parseNatsVia(via); // likewise for a malformed NATS URL
    return 'nats';
  }
  throw usageError(`--via "${via}" is not a transport: use ${VIA_HELP}`);
}

/** A `--via` as the output and the audit log show it: without its password. */
function shownVia(via: string): string {
  return isNatsVia(via) ? redactNatsVia(via) : redact(via);
}

/** Open the transport a `--via` URI names. */
async function openTransport(ctx: CommandContext, via: string, keys: TransportKeys, maxEnvelopeBytes?: number): Promise<Transport> {
  let transport: Transport;
  const kind = transportKind(via);
  if (kind === 'drop') {
    transport = new DropFolderTransport({ root: resolve(via.slice('drop:'.length)), ...(maxEnvelopeBytes !== undefined ? { maxEnvelopeBytes } : {}) });
  } else if (kind === 'relay') {
    // node:http rather than the global fetch: the same requests for about half the client CPU
    // per request (docs/TRANSPORTS.md 3.3); trusts Node's CAs and NODE_EXTRA_CA_CERTS as fetch does.
    const fetch = nodeHttpFetch();
    ctx.onClose(() => fetch.close());
    transport = new RelayTransport({
      url: via,
      fetch,
      ...(keys.sender ? { senderKey: keys.sender } : {}),
      ...(keys.mailboxes ? { mailboxKeys: keys.mailboxes } : {}),
    });
  } else if (kind === 'nats') {
    transport = await natsTransport(ctx, via, maxEnvelopeBytes);
  } else {
    transport = await redisTransport(ctx, via, maxEnvelopeBytes);
  }
  ctx.onClose(() => transport.close());
  return transport;
}

/** The parts of the optional `redis` package (node-redis 4+) the CLI calls. */
interface RedisConnection {
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}
interface RedisModule {
  createClient(options: Record<string, unknown>): RedisConnection & RedisCommandClient;
  createCluster(options: Record<string, unknown>): RedisConnection & RedisClusterLike;
  createSentinel(options: Record<string, unknown>): RedisConnection & RedisSentinelLike;
}

/** Redis Streams on one server, a cluster or a Sentinel-managed master (src/cli/redis-url.ts), loaded only when asked for. */
async function redisTransport(ctx: CommandContext, via: string, maxEnvelopeBytes: number | undefined): Promise<Transport> {
  const r = parseRedisVia(via);
  let redis: RedisModule;
  try {
    const name = 'redis'; // a computed name: bundlers leave the optional dependency alone
    redis = (await import(name)) as RedisModule;
  } catch (e) {
    throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'The redis:// transport needs the "redis" package: npm install redis', { cause: e });
  }
  // Fail at once if Redis cannot be reached at the start; once connected, ride out restarts
  // (a `receive --follow` may run for days), backing off up to 2 s between attempts.
  let connected = false;
  const socket = {
    connectTimeout: 10_000,
    ...(r.tls && r.topology !== 'server' ? { tls: true } : {}),
    reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(100 * (retries + 1), 2000) : cause),
  };
  const auth = { ...(r.username !== undefined ? { username: r.username } : {}), ...(r.password !== undefined ? { password: r.password } : {}) };
  let connection: RedisConnection;
  let client: RedisCommandClient;
  if (r.topology === 'cluster') {
    const cluster = redis.createCluster({ rootNodes: r.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })), defaults: { ...auth, socket } });
    [connection, client] = [cluster, redisClusterClient(cluster)];
  } else if (r.topology === 'sentinel') {
    const sentinel = redis.createSentinel({ name: r.masterName, sentinelRootNodes: r.nodes, nodeClientOptions: { ...auth, socket } });
    [connection, client] = [sentinel, redisSentinelClient(sentinel)];
  } else {
    const single = redis.createClient({ url: r.url, socket });
    [connection, client] = [single, single];
  }
  connection.on('error', () => {
    // Reported through the failing command instead; without a listener node-redis would crash the process.
  });
  let transport: RedisStreamsTransport;
  try {
    transport = new RedisStreamsTransport({
      client,
      ...(r.sender !== undefined ? { sender: r.sender } : {}),
      ...(r.senders !== undefined ? { senders: r.senders } : {}),
      ...(r.acceptRisks !== undefined ? { acceptRisks: r.acceptRisks as RedisDurabilityRisk[] } : {}),
      ...(maxEnvelopeBytes !== undefined ? { maxEnvelopeBytes } : {}),
      // One envelope read at a time per stream: each is held whole (Redis values are), and the
      // command's memory must not grow with the batch (docs/CLI.md, "Large files").
      maxBatchBytes: maxEnvelopeBytes ?? RedisStreamsTransport.DEFAULT_MAX_ENVELOPE_BYTES,
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw usageError(`--via ${redact(via)}: ${e.message}`);
    throw e;
  }
  try {
    await connection.connect();
    connected = true;
  } catch (e) {
    throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', `Cannot reach Redis at ${redact(via)}: ${(e as Error).message}`, { cause: e });
  }
  ctx.onClose(async () => {
    await (connection.close ? connection.close() : connection.quit?.());
  });
  return transport;
}

/** NATS JetStream on one server or a cluster (src/cli/nats-url.ts), loaded only when asked for. */
async function natsTransport(ctx: CommandContext, via: string, maxEnvelopeBytes: number | undefined): Promise<Transport> {
  const n = parseNatsVia(via);
  let nats: NatsModule;
  try {
    const name = '@nats-io/transport-node'; // a computed name: bundlers leave the optional dependency alone
    nats = (await import(name)) as NatsModule;
  } catch (e) {
    throw new LintasError('ERR_TRANSPORT_UNAVAILABLE', 'The nats:// transport needs the "@nats-io/transport-node" and "@nats-io/jetstream" packages: npm install @nats-io/transport-node @nats-io/jetstream', { cause: e });
  }
  const connection = await connectNats(nats, n, redactNatsVia(via));
  ctx.onClose(() => connection.close());
  try {
    return new NatsJetStreamTransport({
      connection,
      ...(n.stream !== undefined ? { stream: n.stream } : {}),
      ...(n.subjectPrefix !== undefined ? { subjectPrefix: n.subjectPrefix } : {}),
      ...(n.replicas !== undefined ? { replicas: n.replicas } : {}),
      ...(n.apiPrefix !== undefined ? { apiPrefix: n.apiPrefix } : {}),
      ...(n.acceptRisks !== undefined ? { acceptRisks: n.acceptRisks as NatsDurabilityRisk[] } : {}),
      ...(maxEnvelopeBytes !== undefined ? { maxEnvelopeBytes } : {}),
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw usageError(`--via ${redactNatsVia(via)}: ${e.message}`);
    throw e;
  }
}

/** The signing key pair of one of your identities, wiped when the command ends. */
function signingKeysOf(ctx: CommandContext, ring: KeyRing, identity: string): SigningKeyPair {
  const keys = ring.identityKeys(identity);
  wipe(keys.x25519.secretKey, keys.xwing.secretKey);
  ctx.onClose(() => wipe(keys.signing.secretKey));
  return keys.signing;
}

const send: Command = {
  words: ['send'],
  summary: 'Send sealed envelopes to the mailboxes of contacts through a transport',
  args: 'FILE...',
  positionals: [1, 1000],
  positionalFiles: true,
  details:
    `--via names the transport: ${VIA_HELP}.\n` +
    'Each --to (a contact, group:NAME or fingerprint) is resolved in your key ring; every envelope\n' +
    'goes to the mailbox derived from that contact\'s signing key. The envelope must already be\n' +
    'sealed to them ("lintas seal"): transports only carry sealed bytes.',
  options: {
    to: { type: 'string', multiple: true, value: 'RECIPIENT', description: 'a contact, group:NAME or fingerprint (required)' },
    via: { type: 'string', value: 'URI', description: `the transport (required): ${VIA_HELP}` },
    from: { type: 'string', value: 'IDENTITY', description: 'your identity a relay knows you by (default: your only one)' },
    'max-envelope': MAX_ENVELOPE_OPTION,
  },
  examples: ['lintas send report.lintas --to polri --via drop:/mnt/exchange', 'lintas send report.lintas --to group:asean --via https://relay.example.org'],
  async run(ctx, input) {
    const to = stringList(input, 'to');
    if (to.length === 0) throw usageError('--to is required: a contact name, group:NAME or fingerprint');
    const via = requiredString(input, 'via');
    // What the output and the audit log show: never a password in the URL.
    const shown = shownVia(via);
    const kind = transportKind(via);
    const maxEnvelope = byteSizeOption(input, 'max-envelope');
    // Each envelope is checked by its header and sized from the file system before anything
    // else is done: an oversize one is refused at once, not after reading it.
    const envelopes = [];
    for (const file of input.positionals) {
      const envelope = await readEnvelopeFile(ctx.io, file, ctx.interruption, (fn) => ctx.onClose(fn));
      checkEnvelopeSize(kind, envelope, maxEnvelope);
      envelopes.push(envelope);
    }
    const ring = await ctx.keyRing();
    const recipients = ring.resolveRecipients(to);
    const from = ctx.chooseIdentity(ring, stringOption(input, 'from'), 'from');
    const transport = await openTransport(ctx, via, kind === 'relay' ? { sender: signingKeysOf(ctx, ring, from) } : {}, maxEnvelope);
    if (transport instanceof RelayTransport) {
      const { maxEnvelopeBytes } = await transport.limits();
      for (const e of envelopes) checkRelayEnvelopeSize(e, maxEnvelopeBytes);
    }
    const audit = await ctx.auditLog(ring, from);
    ctx.interruption.listen(`sending ${envelopes.map((e) => e.label).join(', ')} via ${shown}`);
    const sent: { file: string; to: string; mailbox: string; bytes: number }[] = [];
    for (const e of envelopes) {
      // The audit log's digest is of the binary envelope, hashed while it streams to the first
      // recipient instead of read whole beforehand.
      let envelopeDigest: Uint8Array | null = null;
      for (const r of recipients) {
        const mailbox = mailboxId(r.card);
        let digesting: DigestingSource | null = null;
        const sendFromStart = (): Promise<void> => {
          digesting = envelopeDigest === null ? new DigestingSource(e.chunks()) : null;
          return transport.send(mailbox, digesting?.chunks ?? e.chunks());
        };
        await sendFromStart()
          // A relay session that expired as the upload began: the relay stored nothing, and the
          // client cannot send a stream again from where it stopped. The file can be read again
          // from its start, under the new session the client opens (docs/TRANSPORTS.md 3.3).
          .catch((err: unknown) => (kind === 'relay' && isLintasError(err, 'ERR_RELAY_AUTH_FAILED') ? sendFromStart() : Promise.reject(err)))
          .catch((err: unknown) => {
            throw explainTooLarge(kind, err);
          });
        if (digesting !== null) envelopeDigest = (digesting as DigestingSource).digest();
        await audit.record({ event: 'sent', envelopeDigest: envelopeDigest!, to: [r.card.fingerprint], transport: shown, mailbox });
        sent.push({ file: e.label, to: r.label, mailbox, bytes: e.size });
      }
    }
    ctx.result({ via: shown, sent }, sent.map((s) => `Sent ${s.file} (${formatBytes(s.bytes)}) to ${s.to} via ${shown}`).join('\n'));
  },
};

const receive: Command = {
  words: ['receive'],
  summary: 'Receive, verify and save the bundles waiting in your mailbox',
  args: '',
  positionals: [0, 0],
  details:
    `--via names the transport: ${VIA_HELP}.\n` +
    'Each bundle is opened and verified, its items saved to DIR/<envelope id>-<sealer key id>/,\n' +
    'and "received" and "opened" entries added to your audit log; only then is it acknowledged.\n' +
    'A bundle the key ring raises a warning about (revoked, expired or superseded card, downgraded\n' +
    'envelope, originator mismatch, ...) is refused unless --no-strict is given. Envelopes already\n' +
    'processed (replays: the same envelope id from the same sealer) and envelopes that fail\n' +
    'verification or a rule are removed from the mailbox, copied to DIR/rejected/ with the reason,\n' +
    'recorded as "refused" in your audit log, and make the exit code non-zero (that of the first\n' +
    'refusal: 4 tampered, 3 not for you, 5 refused, untrusted or replayed). Without --follow it\n' +
    'stops when the mailbox is empty; with --follow it waits for more until interrupted (Ctrl-C).',
  options: {
    via: { type: 'string', value: 'URI', description: `the transport (required): ${VIA_HELP}` },
    as: { type: 'string', value: 'IDENTITY', description: 'your identity whose mailbox to read (default: your only one)' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'where to save received bundles (default: ./lintas-inbox)' },
    follow: { type: 'boolean', short: 'f', description: 'keep waiting for new envelopes until interrupted' },
    'require-known-sender': { type: 'boolean', description: 'refuse bundles whose sender is not in your key ring' },
    'no-strict': { type: 'boolean', description: 'accept bundles the key ring warns about (the warnings are still printed)' },
  },
  examples: ['lintas receive --via drop:/mnt/exchange -o inbox', 'lintas receive --via https://relay.example.org --follow -o inbox'],
  async run(ctx, input) {
    const via = requiredString(input, 'via');
    const shown = shownVia(via);
    transportKind(via);
    const dir = resolve(stringOption(input, 'out') ?? 'lintas-inbox');
    const ring = await ctx.keyRing();
    const identity = ctx.chooseIdentity(ring, stringOption(input, 'as'));
    const signing = signingKeysOf(ctx, ring, identity);
    const mailbox = mailboxId(signing.publicKey);
    const transport = await openTransport(ctx, via, transportKind(via) === 'relay' ? { mailboxes: [signing] } : {});
    const guard = await ctx.replayGuard(identity);
    const audit = await ctx.auditLog(ring, identity);
    await mkdir(dir, { recursive: true });
    const follow = flag(input, 'follow');
    const stop = new AbortController();
    ctx.interruption.listen(`receiving from ${shown} into ${dir}`);
    ctx.interruption.signal.addEventListener('abort', () => stop.abort(), { once: true });
    if (follow) {
      // Ctrl-C while waiting for mail is the normal way to stop following (exit 0); in the
      // middle of an envelope it interrupts it, and what was written of it is removed.
      ctx.interruption.whenIdle(() => stop.abort());
      ctx.note(`Waiting for envelopes in ${identity}'s mailbox via ${shown} (Ctrl-C to stop)`);
    }
    // Envelopes are streamed to a temporary file and opened from it: memory stays bounded
    // whatever their size. Those still here when the command ends are removed; a refused one is
    // moved into the quarantine.
    const spooled = new Set<SpooledEnvelope>();
    ctx.onClose(async () => {
      for (const e of spooled) await e.remove();
    });
    // The folder of verified items of each opened envelope (registered as plaintext, so an
    // interrupt removes it), until the handler moves it into place or it is discarded.
    const incomingFolders = new Map<string, () => void>();
    const discardIncoming = async (incoming: string): Promise<void> => {
      await rm(incoming, { recursive: true, force: true });
      incomingFolders.get(incoming)?.();
      incomingFolders.delete(incoming);
    };
    const quarantine = new DirectoryQuarantine(join(dir, 'rejected'));
    const received: Record<string, unknown>[] = [];
    const rejected: { reason: string; code: string; savedAs: string }[] = [];
    const result = await receiveBundles<string, SpooledEnvelope>(transport, mailbox, {
      ring,
      replayGuard: guard,
      quarantine,
      strict: !flag(input, 'no-strict'),
      open: { requireKnownSender: flag(input, 'require-known-sender') },
      untilEmpty: !follow,
      signal: stop.signal,
      read: async (body) => {
        const envelope = await spoolEnvelope(body, dir, ctx.interruption);
        spooled.add(envelope);
        return envelope;
      },
      // Items stream into a hidden folder while the envelope is verified; it is renamed into place by the handler.
      keep: async (bundle) => {
        const incoming = join(dir, `.incoming-${randomBytes(8).toString('hex')}`);
        // Registered, then created, in one synchronous step: a signal cannot fall in between.
        incomingFolders.set(incoming, ctx.interruption.track(incoming, 'plaintext'));
        mkdirSync(incoming, { mode: 0o700 });
        try {
          await saveItems(ctx, bundle, incoming, { force: true });
        } catch (e) {
          await discardIncoming(incoming);
          throw e;
        }
        return incoming;
      },
      discard: discardIncoming,
      onRejected: async ({ envelope, error }) => {
        // The quarantine moved the spooled file into DIR/rejected/: it is no longer temporary.
        spooled.delete(envelope);
        await audit.record({ event: 'refused', envelopeDigest: envelope.digest, reason: error.code, transport: shown, mailbox });
        rejected.push({ reason: error.message, code: error.code, savedAs: quarantine.kept.at(-1)! });
        if (ctx.exitCode === 0) ctx.exitCode = exitCodeFor(error.code);
        ctx.note(`Refused an envelope (${error.code}): ${error.message}; kept in ${quarantine.dir}`);
      },
      handler: async ({ bundle, items: incoming }, context) => {
        const target = join(dir, receivedFolderName(bundle));
        // Only a redelivery of this very envelope (same id, same sealer) can be there: replace it.
        await rm(target, { recursive: true, force: true });
        ctx.interruption.throwIfInterrupted();
        // Synchronous with the release: an interrupt sees the folder either here or there.
        renameSync(incoming, target);
        incomingFolders.get(incoming)?.();
        incomingFolders.delete(incoming);
        await audit.record({
          event: 'received',
          bundleId: bundle.manifest.id,
          envelopeId: bundle.envelope.envelopeId,
          envelopeDigest: context.envelope.digest,
          originator: bundle.originator.fingerprint,
          from: bundle.sender.fingerprint,
          transport: shown,
          mailbox,
        });
        await recordOpened(ctx, ring, bundle, context.envelope.digest);
        await context.envelope.remove();
        spooled.delete(context.envelope);
        const report = bundleReport(ring, bundle);
        const entry = { ...report.json, savedTo: target, items: bundle.manifest.items.map((i) => i.name) };
        received.push(entry);
        // With --follow the command may run for days: report each bundle as it arrives (one JSON line each with --json).
        if (ctx.json && follow) ctx.io.stdout.write(`${JSON.stringify(entry, jsonReplacer)}\n`);
        else ctx.say([...report.lines, `Saved to ${target}`, ''].join('\n'));
      },
    });
    ctx.interruption.throwIfInterrupted();
    if (ctx.json && follow) return; // each bundle was already reported as it arrived
    ctx.result(
      { via: shown, identity, processed: result.processed, rejected, received },
      `${result.processed} bundle${result.processed === 1 ? '' : 's'} received, ${result.rejected} refused`,
    );
  },
};

/**
 * The folder a received bundle is saved in: its envelope id and the sealer's key id. Envelope
 * ids are chosen by each sealer, so the id alone would let a co-recipient who read a genuine
 * envelope's id send its own envelope with that id and have it saved over the genuine one
 * (SPEC 10.7 binds the replay cache to the sender key for the same reason).
 */
function receivedFolderName(bundle: KeyRingOpenedBundle): string {
  const sealer = bundle.envelope.sender ?? new Uint8Array(8);
  return `${toHex(bundle.envelope.envelopeId)}-${toHex(sealer.subarray(0, 8))}`;
}

const relayStart: Command = {
  words: ['relay', 'start'],
  summary: 'Run an HTTP relay that stores sealed envelopes until their recipients collect them',
  args: '',
  positionals: [0, 0],
  details:
    'The relay sees only sealed envelopes and mailbox ids; receivers prove they own a mailbox by\n' +
    'signing a challenge. It runs until interrupted (Ctrl-C or SIGTERM); stored envelopes stay in\n' +
    '--dir across restarts. Every limit has a default that is safe on a public address; the\n' +
    'options below change them (docs/TRANSPORTS.md 3.3 lists them all). Plain HTTP on an address\n' +
    'other than loopback is warned about: use --tls-key/--tls-cert or a TLS proxy.',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'folder for stored envelopes (required)' },
    ...LISTEN_OPTIONS,
    origin: { type: 'string', value: 'URL', description: 'public origin clients sign, e.g. https://relay.example.org (required with --host 0.0.0.0)' },
    'allow-card': { type: 'string', multiple: true, value: 'FILE', readsFile: true, description: 'only senders with these key cards may send (default: anyone)' },
    ...RELAY_LIMIT_OPTIONS,
    'max-envelope': { type: 'string', value: 'SIZE', description: 'largest envelope accepted, e.g. 4GiB (default 64MiB); envelopes stream to disk, so memory does not grow with it' },
  },
  examples: ['lintas relay start --dir /var/lib/lintas-relay --port 8443 --tls-key key.pem --tls-cert cert.pem --origin https://relay.example.org'],
  async run(ctx, input) {
    const dir = resolve(requiredString(input, 'dir'));
    const listen = await listenOptions(input);
    const allowed: Uint8Array[] = [];
    for (const file of stringList(input, 'allow-card')) for (const card of await readKeyCards(ctx, file)) allowed.push(card.signingPublicKey);
    const origin = stringOption(input, 'origin');
    const tuning = relayLimitsFrom(input);
    const maxEnvelope = byteSizeOption(input, 'max-envelope');
    const relay = await startRelay({
      dir,
      ...tuning,
      limits: { ...tuning.limits, ...(maxEnvelope !== undefined ? { maxEnvelopeBytes: maxEnvelope } : {}) },
      ...listen,
      ...(origin !== undefined ? { origin } : {}),
      ...(allowed.length ? { allowSenders: allowed } : {}),
      onError: (e) => ctx.note(`relay: internal error: ${(e as Error)?.message ?? String(e)}`),
      onWarning: (m) => ctx.note(`relay: WARNING: ${m}`),
    });
    ctx.onClose(() => relay.close());
    const stopped = stopSignal(); // before the address is printed: see stop-signal.ts
    ctx.result(
      { url: relay.url, origin: relay.origin, port: relay.port, dir, allowedSenders: allowed.length || null, limits: relay.limits },
      `Relay listening on ${relay.url} (origin ${relay.origin}), storing envelopes up to ${formatBytes(relay.limits.maxEnvelopeBytes)} in ${dir}${allowed.length ? `, ${allowed.length} allowed sender${allowed.length === 1 ? '' : 's'}` : ''}`,
    );
    await stopped;
    ctx.note('Relay stopped');
  },
};

/** The send, receive and relay commands. */
export const transportCommands: Command[] = [send, receive, relayStart];
