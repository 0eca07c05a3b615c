/**
 * Serves one benchmark app in the foreground, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=jwtguard-source --import tsx \
 *     bench/profile/serve.ts fastify/ours 12   # variant id, seconds before it exits
 * and load it from another shell, e.g. `npx autocannon -d 8 -H "authorization=JWT <token>" URL`
 * (the token and URL are printed on start).
 */

import { startVariant, VARIANTS } from '../http/apps.js'
import { makeToken } from '../lib/fixtures.js'

const variant = VARIANTS.find((candidate) => candidate.id === process.argv[2])
if (variant === undefined) throw new Error(`variant must be one of ${VARIANTS.map((v) => v.id).join(', ')}`)
const seconds = Number(process.argv[3] ?? 12)
const server = await startVariant(variant)
console.log(`url=http://127.0.0.1:${server.port}/api/v1/private`)
console.log(`authorization=${variant.scheme} ${makeToken('HS256')}`)
setTimeout(() => {
  void server.close().finally(() => process.exit(0))
}, seconds * 1000)
