/**
 * `lintas taxii serve` (docs/CLI.md, docs/TRANSPORTS.md "TAXII 2.1"): run lintas's small TAXII
 * 2.1 server for agencies that have none. Its collections and users come from a JSON file, so
 * passwords never appear on a command line (where `ps` shows them to every local user).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { mailboxId } from '../../transports/mailbox.js';
import { taxiiCollectionId } from '../../transports/taxii/collection-id.js';
import { startTaxiiServer, type TaxiiServerCollection, type TaxiiServerUser } from '../../transports/taxii/server.js';
import { requiredString, usageError, type Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { readKeyCards } from './contact.js';
import { stopSignal } from '../stop-signal.js';
import { LISTEN_OPTIONS, listenOptions } from '../listen-options.js';

/** The configuration file: collections (by id, or by the key card whose mailbox they are) and users. */
interface TaxiiConfigFile {
  collections: ({ title: string; description?: string } & ({ id: string } | { card: string }))[];
  users: TaxiiServerUser[];
}

async function readConfig(ctx: CommandContext, path: string): Promise<{ collections: TaxiiServerCollection[]; users: TaxiiServerUser[] }> {
  let config: TaxiiConfigFile;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as TaxiiConfigFile;
  } catch (cause) {
    throw usageError(`--config ${path} could not be read as JSON: ${(cause as Error).message}`);
  }
  if (!config || !Array.isArray(config.collections) || !Array.isArray(config.users)) throw usageError(`--config ${path} must hold { "collections": [...], "users": [...] }`);
  const collections: TaxiiServerCollection[] = [];
  for (const c of config.collections) {
    if ('card' in c && typeof c.card === 'string') {
      // A mailbox collection: its id is derived from the card's mailbox (taxiiCollectionId).
      const cards = await readKeyCards(ctx, resolve(path, '..', c.card));
      collections.push({ id: taxiiCollectionId(mailboxId(cards[cards.length - 1]!)), title: c.title, ...(c.description ? { description: c.description } : {}) });
    } else collections.push(c as TaxiiServerCollection);
  }
  return { collections, users: config.users };
}

const taxiiServe: Command = {
  words: ['taxii', 'serve'],
  summary: 'Run a TAXII 2.1 server that carries lintas envelopes (and any STIX 2.1 content)',
  args: '',
  positionals: [0, 0],
  details:
    'Collections and users come from --config, a JSON file:\n' +
    '  { "collections": [ { "card": "polri.card", "title": "POLRI inbox" } ],\n' +
    '    "users": [ { "username": "bin", "password": "...", "canWrite": ["<collection id>"] } ] }\n' +
    'A collection given by "card" is that card\'s mailbox (its id is printed at start). Objects are\n' +
    'stored in --dir and kept across restarts. It runs until interrupted (Ctrl-C or SIGTERM).',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'folder for stored objects (required)' },
    config: { type: 'string', value: 'FILE', description: 'collections and users, JSON (required)' },
    ...LISTEN_OPTIONS,
  },
  examples: ['lintas taxii serve --dir /var/lib/lintas-taxii --config taxii.json --port 8443 --tls-key key.pem --tls-cert cert.pem'],
  async run(ctx, input) {
    const dir = resolve(requiredString(input, 'dir'));
    const configPath = resolve(requiredString(input, 'config'));
    const listen = await listenOptions(input);
    const { collections, users } = await readConfig(ctx, configPath);
    let server;
    try {
      server = await startTaxiiServer({
        dir,
        collections,
        users,
        ...listen,
      });
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) throw usageError(`--config ${configPath}: ${e.message.replace(/^options\./, '')}`);
      throw e;
    }
    if (!listen.tls && listen.host !== undefined && listen.host !== '127.0.0.1' && listen.host !== '::1' && listen.host !== 'localhost') {
      ctx.note('warning: serving plain HTTP on a non-loopback address: passwords and tokens cross the network in clear; use --tls-key/--tls-cert');
    }
    const s = server;
    ctx.onClose(() => s.close());
    const stopped = stopSignal(); // before the address is printed: see stop-signal.ts
    ctx.result(
      { discovery: s.discoveryUrl, apiRoot: s.apiRoot, dir, collections: collections.map((c) => ({ id: c.id, title: c.title })) },
      `TAXII 2.1 server: discovery ${s.discoveryUrl}, API root ${s.apiRoot}, storing in ${dir}\n` + collections.map((c) => `  collection ${c.id}  ${c.title}`).join('\n'),
    );
    await stopped;
    ctx.note('TAXII server stopped');
  },
};

/** The taxii commands. */
export const taxiiCommands: Command[] = [taxiiServe];
