/**
 * The reference server as a real process, started as `npm start` starts it, on a free port: from
 * its sources through tsx, or compiled (build/server/main.js, what `npm run build` makes).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { type RequestInit, socketRequest, type TestResponse } from './server.js'

export interface ServerProcess {
  address: string
  child: ChildProcess
  request(method: string, path: string, init?: RequestInit): Promise<TestResponse>
  stop(): Promise<void>
}

const FROM_SOURCES = ['--conditions=jwtguard-source', '--import', 'tsx', 'server/main.ts']
const COMPILED = ['build/server/main.js']

export async function startServerProcess(
  env: Record<string, string>,
  { compiled = false }: { compiled?: boolean } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, compiled ? COMPILED : FROM_SOURCES, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  return {
    address,
    child,
    request: (method, path, init) => socketRequest(address, method, path, init),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
