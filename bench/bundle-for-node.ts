/**
 * How the bench bundles code that runs in a child process or a worker thread of its own: one
 * esbuild ESM bundle per entry for plain `node` (no tsx hooks in the measured thread, as the
 * published package runs), with shared chunks, `.mjs` files, and `require` defined because some
 * dependencies still call it for Node built-ins.
 */
import { build } from 'esbuild';

/** Bundle `entryPoints` (paths, or output name -> path) into `outdir` as `<name>.mjs` files and shared chunks. */
export async function bundleForNode(entryPoints: string[] | Record<string, string>, outdir: string): Promise<void> {
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  });
}
