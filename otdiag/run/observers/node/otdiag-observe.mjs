// otdiag's ESM preload (NODE_OPTIONS=--import): it only marks that ESM preloads run in this process;
// everything else is done by otdiag-observe.cjs, loaded first through --require.
globalThis[Symbol.for('otdiag.node.esm-preload')] = true;
