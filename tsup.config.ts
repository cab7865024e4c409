import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Both builds write into dist/ at the same time: `npm run build` empties it first instead.
    clean: false,
    target: 'es2022',
    // @noble/hashes 2.x ships ESM only; bundling it keeps the CJS build loadable on every Node 20.
    noExternal: ['@noble/hashes'],
  },
  {
    // The `lintas` command (package.json "bin"): one ESM file with a shebang, Node only.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    noExternal: ['@noble/hashes'],
  },
]);
