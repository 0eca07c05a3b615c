/**
 * Child-process entry for the load generator (BENCH_LOADER=child): receives one LoadSpec per
 * message, answers with its LoadResult (or `{ prepare: LoadSpec }`, answered with `{ ok: true }`
 * once the run's fresh tokens are signed), exits when the parent disconnects.
 */
import { type LoadSpec, prepareLoad, runLoad } from './loader.js'

if (process.send === undefined) {
  console.error('forked by bench/http only')
  process.exit(2)
}
process.on('message', (message: LoadSpec | { prepare: LoadSpec }) => {
  if ('prepare' in message) {
    prepareLoad(message.prepare)
    process.send?.({ ok: true })
    return
  }
  runLoad(message).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, reason: String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true })
