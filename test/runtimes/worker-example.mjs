/** workerd: examples/workers/worker.ts, bundled, driven through the seed session by a `test()` handler. */
import worker from '../../examples/workers/worker.ts'
import { httpSession } from './session.mjs'

export default {
  async test() {
    const env = { JWT_SECRET_KEY: 'workers-example-secret-with-at-least-32-bytes' }
    const result = await httpSession((request) => worker.fetch(request, env, { waitUntil() {} })).then(
      () => 'ok',
      (error) => `${error?.code ? `${error.code}: ` : ''}${error?.message ?? error}`,
    )
    console.log(`RESULT ${JSON.stringify({ runtime: 'workerd', example: result })}`)
  },
}
