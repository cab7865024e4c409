/**
 * How the bench bundles code that runs in a child process or a worker thread of its own: one
 * esbuild ESM bundle per entry for plain `node` (no tsx hooks in the measured thread, as the
 * published package runs), with shared chunks, `.mjs` files, and `require` defined because some
 * dependencies still call it for Node built-ins.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * `lintas/node` as the package ships it (src/node.ts and src/pool/pool-worker.ts, ESM, shared
 * chunks), bundled into `outdir` and imported: the pool's workers then run a bundle as the app-side
 * pool's threads do, not src/ through tsx's hooks (6-8 points of the app-side pool,
 * docs/PERFORMANCE.md, "When the worker pool pays").
 */
export async function bundledLintasNode(outdir: string): Promise<Record<string, unknown>> {
  const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));
  await bundleForNode({ node: src('../src/node.ts'), 'pool-worker': src('../src/pool/pool-worker.ts') }, outdir);
  return (await import(pathToFileURL(join(outdir, 'node.mjs')).href)) as Record<string, unknown>;
}
