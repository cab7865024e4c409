/**
 * What a running command works with (docs/CLI.md, "Files"): the lintas home folder, the key
 * ring in it (opened with the passphrase from wherever the user supplies it), the per-identity
 * audit logs and replay logs, and the output channel (text or `--json`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LintasError } from '../errors/index.js';
import { KEYRING_KDF_DEFAULTS, KeyRing, type OpenKeyRingOptions } from '../keyring/index.js';
import { FileKeyRingStorage } from '../keyring/file-storage.js';
import { openAuditLogFile } from '../audit/node.js';
import { verifyAuditLog } from '../audit/verify.js';
import { decodeAuditAnchor, signAuditAnchor } from '../audit/anchor.js';
import { writeOutput } from './files.js';
import type { AuditLog } from '../audit/index.js';
import { FileReplayGuard } from '../transports/file-replay-guard.js';
import { wipe } from '../crypto/bytes.js';
import { flag, integerOption, stringOption, type CommandInput } from './options.js';
import { readPassphrase, type CliIo, type PassphraseSources } from './terminal.js';
import { Interruption } from './interruption.js';

/** Shortest key ring passphrase the CLI accepts (docs/CLI.md, "Passphrases"). */
export const MIN_PASSPHRASE_LENGTH = 8;
/** How often a new passphrase is asked for at the prompt before giving up. */
const PASSPHRASE_ATTEMPTS = 3;

/** The command that raises a key ring's passphrase cost (commands/keyring.ts), named in the warning about a cheap one. */
export const REKEY_COMMAND = 'lintas keyring rekey';

/** Everything a command needs from its surroundings. */
export class CommandContext {
  /** The lintas home folder (absolute). */
  readonly home: string;
  /** `--json`: print one JSON document on stdout. */
  readonly json: boolean;
  /**
   * Set by a command that finished its work but must still report a failure through the exit
   * code, e.g. `receive` after refusing a tampered envelope (docs/CLI.md, "Exit codes").
   */
  exitCode = 0;
  /** Temporary files of this command, removed on SIGINT or SIGTERM (docs/CLI.md, "Interrupting a command"). */
  readonly interruption: Interruption;
  private ring: KeyRing | null = null;
  /** Open audit logs by identity: one writer per log file (SPEC 12.8), however many entries a command records. */
  private readonly auditLogs = new Map<string, Promise<AuditLog>>();
  /** Audit log writers this command opened, by file: they know their entry count and head. */
  private readonly auditWriters = new Map<string, AuditLog>();
  /** Logs verified clean against their anchor when the key ring opened: size, count and head. */
  private readonly verifiedLogs = new Map<string, { bytes: number; count: number; head: Uint8Array }>();
  private openedWith: string | null = null;
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(
    readonly io: CliIo,
    private readonly input: CommandInput,
  ) {
    this.home = resolve(stringOption(input, 'home') ?? io.env.LINTAS_HOME ?? join(homedir(), '.lintas'));
    this.json = flag(input, 'json');
    this.interruption = new Interruption(io, io.signals);
  }

  /** The key ring file. */
  get keyRingPath(): string {
    return join(this.home, 'keyring.lintas');
  }

  /** Human-readable text on stdout (suppressed with --json, where {@link result} prints instead). */
  say(text: string): void {
    if (!this.json) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Notes for the person at the terminal, on stderr (never part of a command's output). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The command's result: JSON on stdout with --json, else the given text. */
  result(value: unknown, text: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    else this.say(text);
  }

  private async passphrase(prompt: string, sources: PassphraseSources = this.passphraseSources()): Promise<string> {
    return readPassphrase(this.io, sources, prompt);
  }

  /** Where the key ring passphrase comes from: --passphrase-fd, --passphrase-file, LINTAS_PASSPHRASE, the prompt. */
  private passphraseSources(): PassphraseSources {
    const fd = integerOption(this.input, 'passphrase-fd');
    const file = stringOption(this.input, 'passphrase-file');
    return { ...(fd !== undefined ? { fd } : {}), ...(file !== undefined ? { file } : {}) };
  }

  /**
   * A new key ring passphrase: from `sources` (default: where the current one comes from), or at
   * the prompt, asked twice and asked again (up to three times) when too short or mistyped.
   * @throws {LintasError} `ERR_USAGE` for a passphrase that is too short or not repeated exactly.
   */
  async newPassphrase(sources: PassphraseSources = this.passphraseSources()): Promise<string> {
    const fromPrompt = sources.fd === undefined && sources.file === undefined && !this.io.env[sources.env ?? 'LINTAS_PASSPHRASE'];
    // At a prompt a short or mistyped passphrase is asked for again; from a file, a descriptor or
    // the environment it cannot change, so it is refused at once.
    for (let attempt = 1; ; attempt++) {
      const passphrase = await this.passphrase('New key ring passphrase: ', sources);
      let problem: string | null = null;
      if (passphrase.length < MIN_PASSPHRASE_LENGTH) problem = `The key ring passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`;
      else if (fromPrompt && (await this.passphrase('Repeat the passphrase: ', sources)) !== passphrase) problem = 'The two passphrases differ';
      if (problem === null) return passphrase;
      if (!fromPrompt || attempt === PASSPHRASE_ATTEMPTS) throw new LintasError('ERR_USAGE', `${problem}; nothing was changed`);
      this.note(`${problem}; try again (${PASSPHRASE_ATTEMPTS - attempt} more attempt${PASSPHRASE_ATTEMPTS - attempt === 1 ? '' : 's'})`);
    }
  }

  /**
   * Open the key ring (`acceptOlderGeneration` only for `keyring recover`).
   * @throws {LintasError} `ERR_KEYRING_NOT_FOUND` with what to do, and the errors of `KeyRing.open`
   *   (`ERR_KEYRING_ROLLBACK`: an older copy was put in place; docs/CLI.md says how to recover).
   */
  async keyRing(options: OpenKeyRingOptions = {}): Promise<KeyRing> {
    if (this.ring) return this.ring;
    const storage = new FileKeyRingStorage(this.keyRingPath);
    const passphrase = await this.passphrase('Key ring passphrase: ');
    try {
      this.ring = await KeyRing.open(storage, { passphrase }, options);
    } catch (e) {
      if (e instanceof LintasError && e.code === 'ERR_KEYRING_NOT_FOUND') {
        throw new LintasError('ERR_KEYRING_NOT_FOUND', `No key ring in ${this.home}: create one with "lintas identity create NAME --org ORG --country CC", or pass --home`, { cause: e });
      }
      throw e;
    }
    this.openedWith = passphrase;
    this.closers.push(() => this.ring?.close());
    this.warnIfCheap(this.ring);
    await this.checkAnchors(this.ring, options.acceptOlderGeneration === true);
    return this.ring;
  }

  /**
   * Check each identity's audit log against its signed anchor (SPEC 12.8), and the key ring
   * against the generation the anchors recorded: a second record of the newest generation, so
   * deleting keyring.lintas.seen alone does not hide a rollback (docs/KEYRING.md, "Rollback").
   * Only once this passed are anchors signed again when the command ends, so a cut log is never
   * vouched for.
   * @throws {LintasError} `ERR_AUDIT_ANCHOR_INVALID`, `ERR_AUDIT_TRUNCATED`, `ERR_KEYRING_ROLLBACK`.
   */
  private async checkAnchors(ring: KeyRing, acceptOlderGeneration: boolean): Promise<void> {
    for (const identity of ring.identities()) {
      const logPath = this.auditLogPath(identity.name, identity.card.signingPublicKey);
      const anchorBytes = await readIfPresent(anchorPathOf(logPath));
      if (anchorBytes === null) continue;
      const anchor = decodeAuditAnchor(anchorBytes, identity.card.signingPublicKey);
      const logBytes = (await readIfPresent(logPath)) ?? new Uint8Array(0);
      const v = await verifyAuditLog(logBytes, { signer: identity.card.signingPublicKey, anchor: anchorBytes });
      if (v.firstBroken === null) this.verifiedLogs.set(logPath, { bytes: logBytes.length, count: v.entries.length, head: v.head?.hash ?? new Uint8Array(32) });
      if (v.firstBroken?.reason === 'anchor') {
        throw new LintasError('ERR_AUDIT_TRUNCATED', `${v.firstBroken.message} (${logPath}). Keep the log and ${anchorPathOf(logPath)} as evidence`);
      }
      if (!acceptOlderGeneration && anchor.keyRingGeneration !== null && anchor.keyRingGeneration > ring.generation) {
        throw new LintasError(
          'ERR_KEYRING_ROLLBACK',
          `This key ring is generation ${ring.generation}, but the audit anchor of "${identity.name}" recorded generation ${anchor.keyRingGeneration}: ` +
            'an older copy was put in its place. If you restored it on purpose, run "lintas keyring recover"',
        );
      }
    }
    this.onClose(() => this.signAnchors(ring));
  }

  /** Sign each identity's audit anchor for its log as it is now, with the key ring generation (runs before the ring closes). */
  private async signAnchors(ring: KeyRing): Promise<void> {
    for (const identity of ring.identities()) {
      const logPath = this.auditLogPath(identity.name, identity.card.signingPublicKey);
      const state = await this.anchorableState(logPath, identity.card.signingPublicKey);
      if (state === null) continue;
      const { count, head } = state;
      const previous = await readIfPresent(anchorPathOf(logPath));
      if (previous !== null) {
        const p = decodeAuditAnchor(previous, identity.card.signingPublicKey);
        if (p.count === count && p.keyRingGeneration === ring.generation && Buffer.from(p.head).equals(head)) continue;
      }
      const keys = ring.identityKeys(identity.name);
      try {
        const anchor = signAuditAnchor(keys.signing, count, head, ring.generation);
        await mkdir(join(this.home, 'audit'), { recursive: true, mode: 0o700 });
        await writeOutput(this.io, anchorPathOf(logPath), anchor.bytes);
      } finally {
        wipe(keys.signing.secretKey, keys.x25519.secretKey, keys.xwing.secretKey);
      }
    }
  }

  /**
   * The entry count and head hash to anchor for a log, without verifying it again where this
   * command already knows them: from its own writer (which verified the log when it opened it
   * and made every entry since), or from the check at open if the file has not changed size.
   * Otherwise the log is verified. Null for a log broken by anything but a torn tail: that is
   * evidence, never vouched for.
   */
  private async anchorableState(logPath: string, signer: Uint8Array): Promise<{ count: number; head: Uint8Array } | null> {
    const writer = this.auditWriters.get(logPath);
    if (writer) {
      const h = writer.head();
      return { count: h === null ? 0 : h.seq + 1, head: h?.hash ?? new Uint8Array(32) };
    }
    const checked = this.verifiedLogs.get(logPath);
    const bytes = (await readIfPresent(logPath)) ?? new Uint8Array(0);
    if (checked && checked.bytes === bytes.length) return checked;
    const v = await verifyAuditLog(bytes, { signer });
    if (v.firstBroken !== null && v.firstBroken.reason !== 'truncated') return null;
    return { count: v.entries.length, head: v.head?.hash ?? new Uint8Array(32) };
  }

  /**
   * The passphrase the key ring was opened with (a file descriptor or stdin can be read only
   * once), for `keyring rekey` when the passphrase stays the same.
   * @throws {LintasError} `ERR_USAGE` if the key ring was not opened yet.
   */
  currentPassphrase(): string {
    if (this.openedWith === null) throw new LintasError('ERR_USAGE', 'The key ring is not open');
    return this.openedWith;
  }

  /** A passphrase cost below today's recommendation is weak against a stolen file: say so, and how to fix it. */
  private warnIfCheap(ring: KeyRing): void {
    const p = ring.storageProtection;
    if (p.kind !== 'passphrase' || !p.belowDefaults) return;
    const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
    this.note(
      `WARNING: the key ring passphrase is protected by Argon2id at ${p.opslimit} pass${p.opslimit === 1 ? '' : 'es'} over ${mib(p.memlimit)}, below the ` +
        `recommended ${KEYRING_KDF_DEFAULTS.opslimit} passes over ${mib(KEYRING_KDF_DEFAULTS.memlimit)}: a stolen copy is cheaper to guess. Re-key it with "${REKEY_COMMAND}"`,
    );
  }

  /** Open the key ring, or create an empty one (asking for the new passphrase twice on a terminal). */
  async keyRingOrNew(): Promise<{ ring: KeyRing; created: boolean }> {
    const storage = new FileKeyRingStorage(this.keyRingPath);
    if ((await storage.load()) !== null || (await storage.loadBackup()) !== null) return { ring: await this.keyRing(), created: false };
    const passphrase = await this.newPassphrase();
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    this.ring = await KeyRing.create(storage, { passphrase });
    this.closers.push(() => this.ring?.close());
    const created = this.ring;
    this.onClose(() => this.signAnchors(created));
    return { ring: this.ring, created: true };
  }

  /**
   * The name of one of your identities: `--as NAME`, or the only identity in the key ring.
   * @throws {LintasError} `ERR_USAGE` when there are several and none was named.
   */
  chooseIdentity(ring: KeyRing, named: string | undefined, option = 'as'): string {
    if (named !== undefined) return ring.identity(named).name;
    const all = ring.identities();
    if (all.length === 1) return all[0]!.name;
    if (all.length === 0) throw new LintasError('ERR_KEYRING_UNKNOWN_IDENTITY', 'This key ring has no identity yet: create one with "lintas identity create"');
    throw new LintasError('ERR_USAGE', `This key ring has several identities (${all.map((i) => i.name).join(', ')}); choose one with --${option}`);
  }

  /**
   * The identity's audit log, signed with its current signing key. One file per signing key
   * (home/audit/NAME.KEYID.log), since a log is signed by one key throughout (SPEC 12.8): after
   * a rotation the new key starts a new log and the old one stays verifiable as it was.
   */
  auditLog(ring: KeyRing, identity: string): Promise<AuditLog> {
    let log = this.auditLogs.get(identity);
    if (!log) {
      log = this.openAuditLog(ring, identity);
      this.auditLogs.set(identity, log);
    }
    return log;
  }

  private async openAuditLog(ring: KeyRing, identity: string): Promise<AuditLog> {
    await mkdir(join(this.home, 'audit'), { recursive: true, mode: 0o700 });
    const keys = ring.identityKeys(identity);
    wipe(keys.x25519.secretKey, keys.xwing.secretKey);
    this.closers.push(() => wipe(keys.signing.secretKey));
    const path = this.auditLogPath(identity, keys.signing.publicKey);
    const anchor = await readIfPresent(anchorPathOf(path));
    const log = await openAuditLogFile(path, keys.signing, anchor === null ? {} : { anchor });
    this.auditWriters.set(path, log);
    return log;
  }

  /** Where the audit log of `identity`'s signing key `signingPublicKey` is kept. */
  auditLogPath(identity: string, signingPublicKey: Uint8Array): string {
    return join(this.home, 'audit', `${fileSafe(identity)}.${Buffer.from(signingPublicKey.subarray(0, 8)).toString('hex')}.log`);
  }

  /** The identity's replay log (home/replay/NAME.log): envelope ids already processed. */
  async replayGuard(identity: string): Promise<FileReplayGuard> {
    await mkdir(join(this.home, 'replay'), { recursive: true, mode: 0o700 });
    const guard = await FileReplayGuard.open(join(this.home, 'replay', `${fileSafe(identity)}.log`));
    this.closers.push(() => guard.close());
    return guard;
  }

  /** Run something when the command ends, whatever happened. */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  /** Close what the command opened, last opened first; wipes the key ring's secrets. */
  async close(): Promise<void> {
    this.interruption.close();
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch {
        // Closing must not hide the command's own outcome.
      }
    }
  }
}

/** Where the CLI keeps the signed anchor of an audit log (SPEC 12.8): beside it. */
export function anchorPathOf(logPath: string): string {
  return `${logPath}.anchor`;
}

async function readIfPresent(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Identity names become file names: keep letters, digits, dot, dash and underscore. */
function fileSafe(name: string): string {
  return encodeURIComponent(name).replace(/%/g, '_');
}

/** JSON for scripts: bytes as lower-case hex, dates as ISO 8601. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
