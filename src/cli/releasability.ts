/**
 * `--rel-to` (docs/CLI.md, "Seal options"): "REL TO" entries, comma-separated and repeatable.
 * Two capital letters are a country and must be an assigned ISO 3166-1 alpha-2 code, so a typo
 * such as "UK" (the code is GB) is refused here instead of silently never matching a recipient's
 * card; anything else is an organization name.
 */
import { isAssignedCountryCode, isCountryCodeShape } from '../keyring/country-codes.js';
import type { Releasability } from '../policy/index.js';
import { usageError } from './options.js';

/**
 * The releasability of the `--rel-to` values, or undefined if none was given.
 * @throws {LintasError} `ERR_USAGE` for a two-letter code that is not an assigned country.
 */
export function releasabilityOption(entries: string[]): Releasability | undefined {
  if (entries.length === 0) return undefined;
  const all = entries.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e.length > 0);
  const countries = all.filter(isCountryCodeShape);
  for (const c of countries) {
    if (!isAssignedCountryCode(c)) throw usageError(`--rel-to ${c} is not an ISO 3166-1 country code${c === 'UK' ? ' (the United Kingdom is GB)' : ''}; countries are two capital letters such as ID or MY`);
  }
  return { countries, organizations: all.filter((e) => !isCountryCodeShape(e)) };
}
