/** Node, Bun and Deno: runs the matrix and prints one `RESULT` line of JSON. */
import { MODULES, runtimeVersion } from './modules.mjs'
import { runMatrix } from './session.mjs'

const results = await runMatrix((name) => MODULES[name]())
console.log(`RESULT ${JSON.stringify({ runtime: runtimeVersion(), results })}`)
