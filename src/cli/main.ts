/**
 * The `lintas` command line (docs/CLI.md): finds the command named by the first words, parses
 * its options strictly, runs it, and turns every outcome into an exit code a script can branch
 * on. Errors are one line on stderr ("lintas: what went wrong (CODE)"), or a JSON document on
 * stdout with --json; secrets never appear in either, since library errors never carry them.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { LintasError } from '../errors/index.js';
import { commandHelp, parseCommandLine, type Command } from './command.js';
import { CommandContext } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { CliIo } from './terminal.js';
import type { CommandInput } from './options.js';
import { checkInputFiles, describeFileError } from './input-files.js';
import { inCliWords } from './library-words.js';
import { identityCommands } from './commands/identity.js';
import { contactCommands } from './commands/contact.js';
import { bundleCommands } from './commands/bundle.js';
import { forwardCommands } from './commands/forward.js';
import { keyRingCommands } from './commands/keyring.js';
import { transportCommands } from './commands/transport.js';
import { auditCommands } from './commands/audit.js';
import { taxiiCommands } from './commands/taxii.js';

/** Every command, in the order `lintas --help` lists them. */
export const COMMANDS: readonly Command[] = [...identityCommands, ...keyRingCommands, ...contactCommands, ...bundleCommands, ...forwardCommands, ...transportCommands, ...auditCommands, ...taxiiCommands];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length + c.args.length + 1));
  return [
    `lintas ${packageJson.version}: end-to-end encrypted, signed exchange of intelligence bundles between agencies`,
    '',
    'Usage: lintas COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.words.join(' ')} ${c.args}`.padEnd(width)}  ${c.summary}`),
    '',
    'Run "lintas COMMAND --help" for the options of a command. Files: --home DIR, or $LINTAS_HOME,',
    'or ~/.lintas. Passphrase: a no-echo prompt, $LINTAS_PASSPHRASE, --passphrase-fd N or',
    '--passphrase-file PATH. Exit codes: 0 ok, 1 failure, 2 usage, 3 not for you, 4 tampered,',
    '5 refused by a handling or trust rule, 6 key ring problem, 7 malformed input.',
    '',
  ].join('\n');
}

/** The command whose words start `argv`, longest match first. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of COMMANDS) {
    if (c.words.every((w, i) => argv[i] === w) && (best === null || c.words.length > best.words.length)) best = c;
  }
  return best ? { command: best, rest: argv.slice(best.words.length) } : null;
}

/** Commands starting with the given words, e.g. all `identity ...` commands for `lintas identity`. */
function commandsUnder(words: string[]): Command[] {
  return COMMANDS.filter((c) => words.every((w, i) => c.words[i] === w));
}

function groupHelp(words: string[], group: Command[]): string {
  return [`Usage: lintas ${words.join(' ')} SUBCOMMAND [options]`, '', ...group.map((c) => `  lintas ${c.words.join(' ')} ${c.args}`.padEnd(40) + `  ${c.summary}`), ''].join('\n');
}

/**
 * Run the CLI with `argv` (the arguments after `lintas`) against `io`; resolves to the exit code.
 * Never throws: every error becomes a message and an exit code.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const print = (text: string): void => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  if (argv.length === 0) {
    io.stderr.write(overview());
    return EXIT.usage;
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    print(packageJson.version);
    return EXIT.ok;
  }
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv.slice(1);
    if (topic.length === 0) {
      print(overview());
      return EXIT.ok;
    }
    const found = findCommand(topic);
    if (found && found.rest.length === 0) print(commandHelp(found.command));
    else if (commandsUnder(topic).length > 0) print(groupHelp(topic, commandsUnder(topic)));
    else {
      io.stderr.write(`lintas: no command "${topic.join(' ')}"; see lintas --help\n`);
      return EXIT.usage;
    }
    return EXIT.ok;
  }

  const found = findCommand(argv);
  if (!found) {
    const words = argv.filter((a) => !a.startsWith('-'));
    const group = commandsUnder(words.slice(0, 1));
    if (group.length > 0 && words.length <= 2) {
      const wantsHelp = argv.includes('--help') || argv.includes('-h');
      (wantsHelp ? io.stdout : io.stderr).write(groupHelp(words.slice(0, 1), group));
      if (wantsHelp) return EXIT.ok;
      if (words.length === 2) io.stderr.write(`lintas: no command "${words.join(' ')}"\n`);
      return EXIT.usage;
    }
    io.stderr.write(`lintas: unknown command "${argv[0]}"; see lintas --help\n`);
    return EXIT.usage;
  }

  const json = found.rest.includes('--json');
  let ctx: CommandContext | null = null;
  let input: CommandInput | null = null;
  try {
    input = parseCommandLine(found.command, found.rest);
    if (input.values.help) {
      print(commandHelp(found.command));
      return EXIT.ok;
    }
    await checkInputFiles(found.command, input);
    ctx = new CommandContext(io, input);
    await found.command.run(ctx, input);
    return ctx.interruption.finish() ?? ctx.exitCode;
  } catch (e) {
    // An interrupted command fails with whatever its aborted read or write threw: say what was interrupted instead.
    const interrupted = ctx?.interruption.finish() ?? null;
    if (interrupted !== null) return interrupted;
    return reportError(io, e, json, input, Object.keys(found.command.options));
  } finally {
    await ctx?.close();
  }
}

/** One line on stderr (and a JSON document with --json); the exit code for the error. */
function reportError(io: CliIo, e: unknown, json: boolean, input: CommandInput | null, options: readonly string[]): number {
  let code: string;
  let message: string;
  let exit: number;
  if (e instanceof LintasError) {
    code = e.code;
    message = e.message;
    exit = exitCodeFor(e.code);
  } else if (e instanceof TypeError || e instanceof RangeError) {
    // The library validates its arguments at the edge: here they came from the command line.
    code = 'ERR_USAGE';
    message = inCliWords(e.message, options);
    exit = EXIT.usage;
  } else if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') {
    // File system and network errors: say what failed on which path, in words.
    code = (e as NodeJS.ErrnoException).code!;
    message = 'syscall' in e ? describeFileError(e as NodeJS.ErrnoException, input) : e.message;
    exit = EXIT.failure;
  } else {
    code = 'ERR_INTERNAL';
    message = `internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`;
    exit = EXIT.failure;
  }
  io.stderr.write(`lintas: ${message} (${code})\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code, message, exitCode: exit } }, null, 2)}\n`);
  return exit;
}
