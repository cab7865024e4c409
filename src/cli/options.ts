/**
 * A parsed command line (docs/CLI.md) and typed access to its option values, with the usage
 * errors (exit 2) a person can act on. Kept apart from the command descriptions so that the
 * command context can read options without importing the commands' module.
 */
import { LintasError } from '../errors/index.js';

/** The parsed command line of one command. */
export interface CommandInput {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A usage error: the command line itself is wrong (exit 2). */
export function usageError(message: string): LintasError {
  return new LintasError('ERR_USAGE', message);
}

/** Typed access to parsed option values, with the usage errors a person can act on. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(input: CommandInput, name: string): string {
  const v = stringOption(input, name);
  if (v === undefined || v === '') throw usageError(`--${name} is required`);
  return v;
}

export function stringList(input: CommandInput, name: string): string[] {
  const v = input.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** A positive whole number option. */
export function integerOption(input: CommandInput, name: string): number | undefined {
  const v = stringOption(input, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw usageError(`--${name} must be a whole number, not "${v}"`);
  return Number(v);
}

/** A date option: an ISO 8601 date or date-time. */
export function dateOption(input: CommandInput, name: string): Date | undefined {
  const v = stringOption(input, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw usageError(`--${name} must be an ISO 8601 date such as 2027-01-31 or 2027-01-31T12:00:00Z, not "${v}"`);
  return d;
}
