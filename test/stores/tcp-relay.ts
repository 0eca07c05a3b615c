/**
 * A TCP relay in front of the real Redis, so a test can make Redis unreachable for one client
 * (cut every connection, refuse new ones) without touching the server others share.
 */
import { createConnection, createServer, type Socket } from 'node:net'

export interface TcpRelay {
  /** `redis://127.0.0.1:<relay port>` */
  url: string
  /** Drops every relayed connection and refuses new ones until `restore`. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpRelay(targetPort = 6379, targetHost = '127.0.0.1'): Promise<TcpRelay> {
  const sockets = new Set<Socket>()
  let down = false
  const server = createServer((downstream) => {
    if (down) {
      downstream.destroy()
      return
    }
    const upstream = createConnection({ port: targetPort, host: targetHost })
    for (const socket of [downstream, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        downstream.destroy()
        upstream.destroy()
      })
    }
    downstream.pipe(upstream)
    upstream.pipe(downstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('relay has no port')
  return {
    url: `redis://127.0.0.1:${address.port}`,
    cut() {
      down = true
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      down = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
