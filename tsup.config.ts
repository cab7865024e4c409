import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // pool-worker: the module each worker thread of lintas/node's worker pool runs. Not a public
    // entry (no "exports"); the pool starts it from the file next to its own chunk.
    entry: { index: 'src/index.ts', node: 'src/node.ts', 'pool-worker': 'src/pool/pool-worker.ts' },
    format: ['esm', 'cjs'],
    // Shared chunks in the CJS build too (esbuild splits only ESM by default): without them
    // dist/node.cjs carries a second copy of the library, and an error thrown through
    // require('lintas/node') fails `instanceof LintasError` from require('lintas').
    splitting: true,
    // Types for the public entries only: pool-worker exports nothing.
    dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
    // No source maps: they embed every source file (three times the code's size in the tarball)
    // and the package ships no sources of its own to step through.
    sourcemap: false,
    // Both builds write into dist/ at the same time: `npm run build` empties it first instead.
    clean: false,
    target: 'es2022',
    // @noble/hashes 2.x ships ESM only; bundling it keeps the CJS build loadable on every Node 20.
    noExternal: ['@noble/hashes'],
    // import.meta.url in the CJS build: src/crypto/node-argon2.ts finds libsodium from it for its
    // worker thread, and the worker pool its worker's file (src/pool/worker-pool.ts); tsup derives
    // it from __filename there. The source uses no __dirname or
    // __filename, so the ESM build gets no shim and stays free of node:* imports for browsers.
    shims: true,
  },
  {
    // The `lintas` command (package.json "bin"): one ESM file with a shebang, Node only.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    noExternal: ['@noble/hashes'],
  },
]);
