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
  /** Stops forwarding bytes on live connections without closing them (a half-open network). */
  stall(): void
  /** Accepts connections and forwards bytes again. */
  restore(): void
  close(): Promise<void>
}

export async function startTcpRelay(targetPort = 6379, targetHost = '127.0.0.1'): Promise<TcpRelay> {
  const sockets = new Set<Socket>()
  const pairs = new Set<[Socket, Socket]>()
  let down = false
  let stalled = false
  const connect = ([a, b]: [Socket, Socket]): void => {
    a.pipe(b)
    b.pipe(a)
  }
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
    const pair: [Socket, Socket] = [downstream, upstream]
    pairs.add(pair)
    downstream.on('close', () => pairs.delete(pair))
    if (!stalled) connect(pair)
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
    stall() {
      stalled = true
      for (const [a, b] of pairs) {
        a.unpipe(b)
        b.unpipe(a)
        a.pause()
        b.pause()
      }
    },
    restore() {
      down = false
      if (stalled) for (const pair of pairs) connect(pair)
      stalled = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
