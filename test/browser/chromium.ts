/**
 * Which Chromium the browser suite drives, so that `npm test` needs nothing but npm:
 * 1. LINTAS_CHROMIUM, when set: a binary (it must exist), or `npm` to skip the system one;
 * 2. the system's Chromium (Debian's `chromium` package, which .ci/run installs);
 * 3. the Chromium binary shipped inside the `@sparticuz/chromium` dev dependency, unpacked into
 *    the temporary folder on first use (Linux x64 only; version 147.0.0 is the last one that
 *    supports Node 20).
 */
import { existsSync } from 'node:fs';

/** Where Debian (and most distributions) put Chromium. */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/**
 * Flags every launch gets: no background traffic (this machine's network is closed and the
 * browser's own connections would only fail), no GPU, a headless sandbox-free run as root.
 */
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Flags of @sparticuz/chromium that switch off the web's security model (made for scraping on
 * AWS Lambda); the page under test must run with it on, as in a user's browser.
 */
const INSECURE_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials']);

/** A Chromium to launch: its binary, its flags, and where it came from (for failure messages). */
export interface ChromiumLaunch {
  executablePath: string;
  args: string[];
  source: string;
}

/** Finds a Chromium as described above; throws with what was tried when there is none. */
export async function findChromium(): Promise<ChromiumLaunch> {
  const chosen = process.env.LINTAS_CHROMIUM;
  if (chosen && chosen !== 'npm') {
    if (!existsSync(chosen)) throw new Error(`LINTAS_CHROMIUM=${chosen} does not exist`);
    return { executablePath: chosen, args: COMMON_ARGS, source: 'LINTAS_CHROMIUM' };
  }
  const system = chosen === 'npm' ? undefined : SYSTEM_CHROMIUM.find((p) => existsSync(p));
  if (system) return { executablePath: system, args: COMMON_ARGS, source: system };
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    const executablePath = await packaged.executablePath();
    const args = [...new Set([...packaged.args.filter((a) => !INSECURE_ARGS.has(a)), ...COMMON_ARGS])];
    return { executablePath, args, source: '@sparticuz/chromium' };
  } catch (err) {
    throw new Error(
      `No Chromium found (looked at LINTAS_CHROMIUM, ${SYSTEM_CHROMIUM.join(', ')}, and the @sparticuz/chromium dev dependency, which failed: ${String(err)}); install one with \`apt-get install chromium\` or set LINTAS_CHROMIUM`,
    );
  }
}
