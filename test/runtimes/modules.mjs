/** The built package's modules the session loads, as literal imports a bundler can follow (workerd). */
export const MODULES = {
  '.': () => import('../../dist/index.js'),
  'stores/memory': () => import('../../dist/stores/memory.js'),
  hono: () => import('../../dist/adapters/hono/index.js'),
  fetch: () => import('../../dist/adapters/fetch/index.js'),
  'hono-framework': () => import('hono'),
}

/** The runtime running this file and its version. */
export function runtimeVersion() {
  if (typeof Deno !== 'undefined') return `Deno ${Deno.version.deno}`
  if (typeof Bun !== 'undefined') return `Bun ${Bun.version}`
  if (typeof process !== 'undefined' && process.release?.name === 'node')
    return `Node ${process.version.slice(1)}`
  return 'unknown'
}
