/** workerd: the matrix as a Worker's `test()` handler (`workerd test`), bundled by scripts/runtimes.mjs. */
import { MODULES } from './modules.mjs'
import { runMatrix } from './session.mjs'

export default {
  async test() {
    const results = await runMatrix((name) => MODULES[name]())
    console.log(`RESULT ${JSON.stringify({ runtime: 'workerd', results })}`)
  },
}
