import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // @noble/hashes 2.x ships ESM only; bundling it keeps the CJS build loadable on every Node 20.
  noExternal: ['@noble/hashes'],
});
