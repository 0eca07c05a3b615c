/**
 * Child-process entry for the load generator (BENCH_LOADER=child): receives one LoadSpec per
 * message, answers with its LoadResult, exits when the parent disconnects.
 */
import { type LoadSpec, runLoad } from './loader.js'

if (process.send === undefined) {
  console.error('forked by bench/http only')
  process.exit(2)
}
process.on('message', (spec: LoadSpec) => {
  runLoad(spec).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, reason: String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true })
