/**
 * The library validates its arguments and names them as a programmer wrote them
 * (`options.organization must be ...`); on the command line those values came from options with
 * other names. This rewrites the library's names into the CLI's (`--org must be ...`) in the
 * messages of TypeError and RangeError that reach the user.
 */

/** Library argument paths whose CLI name is not simply the kebab-case of the last part. */
const CLI_NAMES: Record<string, string> = {
  'options.name': 'NAME',
  'options.organization': '--org',
  'options.validUntil': '--valid-days',
  'options.groups': '--group',
  'options.labels': '--label',
  'options.expiresAt': '--expires',
  'options.override.reason': '--override-reason',
  'options.override.authorisedBy': '--authorised-by',
  'options.markings.releasableTo': '--rel-to',
  'options.markings.amberOrganizations': '--amber-org',
  'options.markings.caveats': '--caveat',
  'options.markings.classification': '--classification',
  'options.markings.tlp': '--tlp',
  'markings.releasableTo': '--rel-to',
  'markings.amberOrganizations': '--amber-org',
  'markings.caveats': '--caveat',
  'markings.classification': '--classification',
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * `message` with every library argument path replaced by the CLI option it came from: the
 * running command's own option of that name if it has one (`contact import --name`), else the
 * usual CLI word for it (`NAME` of `identity create`, `--org`).
 */
export function inCliWords(message: string, commandOptions: readonly string[]): string {
  return message.replace(/\b(?:options|params|markings)(?:\.[A-Za-z]+)+(?:\[\d+\])?/g, (path) => {
    const bare = path.replace(/\[\d+\]$/, '').replace(/^params\./, 'options.');
    const own = kebab(bare.slice(bare.lastIndexOf('.') + 1));
    if (commandOptions.includes(own)) return `--${own}`;
    for (let p = bare; p.includes('.'); p = p.slice(0, p.lastIndexOf('.'))) {
      const known = CLI_NAMES[p];
      if (known) return known;
    }
    return `--${own}`;
  });
}
