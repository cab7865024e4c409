/**
 * Files named on the command line are checked before a command does any work, so a typo is
 * reported with the argument it came from ("--stix FILE iocs.jsn does not exist") instead of a
 * bare ENOENT or EISDIR from deep inside the command, after a passphrase prompt and a key
 * derivation. A command marks which of its arguments are files to read (docs/CLI.md).
 */
import { stat } from 'node:fs/promises';
import { LintasError } from '../errors/index.js';
import type { Command } from './command.js';
import { GLOBAL_OPTIONS } from './command.js';
import type { CommandInput } from './options.js';

/** The name of a positional argument in messages: "FILE" from "[FILE...]". */
function positionalName(command: Command): string {
  return command.args.replace(/[[\].]/g, '').split(/\s+/)[0] || 'FILE';
}

/** Every file argument of `input` with the words that name it. */
function fileArguments(command: Command, input: CommandInput): { label: string; path: string }[] {
  const out: { label: string; path: string }[] = [];
  if (command.positionalFiles) for (const p of input.positionals) out.push({ label: positionalName(command), path: p });
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...command.options })) {
    if (!spec.readsFile) continue;
    const v = input.values[name];
    for (const path of Array.isArray(v) ? v : typeof v === 'string' ? [v] : []) out.push({ label: `--${name} ${spec.value ?? 'FILE'}`, path });
  }
  return out.filter((f) => f.path !== '-');
}

/**
 * Check that every file argument exists and is a file.
 * @throws {LintasError} `ERR_USAGE_FILE`, naming the argument and the path.
 */
export async function checkInputFiles(command: Command, input: CommandInput): Promise<void> {
  for (const { label, path } of fileArguments(command, input)) {
    const s = await stat(path).catch((e: NodeJS.ErrnoException) => e);
    if (s instanceof Error) {
      const why = s.code === 'ENOENT' ? 'does not exist' : s.code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${s.code ?? s.message})`;
      throw new LintasError('ERR_USAGE_FILE', `${label} "${path}" ${why}`, { cause: s });
    }
    if (s.isDirectory()) throw new LintasError('ERR_USAGE_FILE', `${label} "${path}" is a folder; a file is needed here`);
  }
}

/**
 * A file system error from the middle of a command, in words: what failed, on which path, and
 * which argument it came from if it was one (e.g. an output folder that cannot be created).
 */
export function describeFileError(e: NodeJS.ErrnoException, input: CommandInput | null): string {
  const what: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EISDIR: 'is a folder, not a file',
    ENOTDIR: 'a part of the path is not a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EEXIST: 'already exists',
    ENOSPC: 'the disk is full',
    EROFS: 'the file system is read-only',
  };
  const reason = what[e.code ?? ''] ?? e.message;
  if (typeof e.path !== 'string') return `${reason} (${e.syscall ?? 'file system'})`;
  let argument = '';
  if (input) {
    for (const [name, v] of Object.entries(input.values)) {
      if (v === e.path || (Array.isArray(v) && v.includes(e.path))) argument = `--${name} `;
    }
  }
  return `${argument}"${e.path}": ${reason}`;
}
