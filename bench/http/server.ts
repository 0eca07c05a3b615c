/**
 * Child-process entry: starts one benchmark app and reports its port to the parent over IPC, so
 * the load generator never shares the server's event loop. Exits when told to, or when the
 * parent goes away.
 */
import { startVariant, UnavailableError, VARIANTS } from './apps.js'

/** Messages from this process to the parent. */
export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'unavailable'; reason: string }
  | { type: 'failed'; reason: string }

const variant = VARIANTS.find((candidate) => candidate.id === process.argv[2])
const send = (message: ServerMessage) => process.send?.(message)

if (variant === undefined || process.send === undefined) {
  console.error('usage: forked by bench/http with a variant id as the first argument')
  process.exit(2)
}

try {
  const server = await startVariant(variant)
  send({ type: 'ready', port: server.port })
  const stop = () => {
    void server.close().finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('message', (message) => {
    if (message === 'stop') stop()
  })
  process.on('disconnect', stop)
} catch (error) {
  if (error instanceof UnavailableError) send({ type: 'unavailable', reason: error.message })
  else
    send({ type: 'failed', reason: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.disconnect?.()
  process.exitCode = 1
}
