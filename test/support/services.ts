/**
 * Private Redis and PostgreSQL servers for fault tests: each runs on its own free port in a temp
 * directory, so a test can pause (SIGSTOP), kill or empty it without touching the shared services.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitUntil(ready: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    try {
      if (await ready()) return
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} not ready within ${ms} ms`)
}

/** A process the test owns: pause, resume, kill, and its exit. */
export interface OwnedProcess {
  readonly pid: number
  pause(): void
  resume(): void
  /** Kills it (SIGKILL) and waits for the exit. */
  kill(): Promise<void>
}

function owned(child: ChildProcess): OwnedProcess {
  return {
    pid: child.pid as number,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGCONT')
        child.kill('SIGKILL')
      }),
  }
}

export interface PrivateRedis extends OwnedProcess {
  readonly port: number
  readonly url: string
  /** Starts it again on the same port (after `kill`), empty unless `args` persist. */
  restart(): Promise<void>
  /** Kills it and removes its directory. */
  stop(): Promise<void>
}

/** A redis-server of its own, no persistence unless `args` say so. */
export async function startPrivateRedis(
  args: string[] = ['--save', '', '--appendonly', 'no'],
): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-redis-'))
  let current: OwnedProcess
  const launch = async () => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args],
      {
        stdio: 'ignore',
      },
    )
    current = owned(child)
    await waitUntil(
      () =>
        execFileSync('redis-cli', ['-p', String(port), 'ping'], {
          timeout: 1000,
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .toString()
          .trim() === 'PONG',
      `redis-server on ${port}`,
    )
  }
  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current.pid
    },
    pause: () => current.pause(),
    resume: () => current.resume(),
    kill: () => current.kill(),
    restart: launch,
    async stop() {
      await current.kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]
  if (version === undefined) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql')
  return join(root, version, 'bin')
}

export interface PrivatePostgres extends OwnedProcess {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  /** Starts it again on the same port and data (after `kill`). */
  restart(): Promise<void>
  /** Kills it and removes its directory. */
  stop(): Promise<void>
}

/** A postgres of its own (initdb in a temp dir, run as the `postgres` user when we are root). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-pg-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const run = (file: string, args: string[]) =>
    asRoot
      ? spawn('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' })
      : spawn(file, args, { stdio: 'ignore' })
  await new Promise<void>((resolve, reject) => {
    const init = run(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ])
    init.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb exited with ${code}`))))
  })
  let pid = 0
  let wrapper: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name)
      // runuser stops itself when its child stops: it needs its own SIGCONT.
      if (name === 'SIGCONT' && wrapper !== undefined) wrapper.kill('SIGCONT')
    } catch {
      // gone already
    }
  }
  const children = (name: string) => {
    try {
      execFileSync('pkill', [name, '-P', String(pid)])
    } catch {
      // none
    }
  }
  const launch = async () => {
    const child = run(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
    ])
    wrapper = child
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    await waitUntil(() => {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { timeout: 1000 })
      return true
    }, `postgres on ${port}`)
    // With runuser in between, signals must reach the postgres process itself.
    pid = asRoot
      ? Number(
          execFileSync('pgrep', ['-P', String(child.pid), 'postgres'])
            .toString()
            .trim(),
        )
      : (child.pid as number)
  }
  const kill = async () => {
    signal('SIGCONT')
    children('-CONT')
    // The postmaster, then its backends (a killed postmaster leaves them running).
    signal('SIGKILL')
    children('-KILL')
    await exited
  }
  await launch()
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get pid() {
      return pid
    },
    // The postmaster and its backends: a hung database answers no connection and no query.
    pause: () => {
      signal('SIGSTOP')
      children('-STOP')
    },
    resume: () => {
      children('-CONT')
      signal('SIGCONT')
    },
    kill,
    restart: launch,
    async stop() {
      await kill()
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One node of a {@link PrivateCluster}. */
export interface PrivateClusterNode extends OwnedProcess {
  readonly port: number
  readonly url: string
  /** Starts it again on the same ports after `kill`: same node id and slots (`nodes.conf`), no data. */
  restart(): Promise<void>
}

/**
 * A Redis Cluster of its own: `masters` masters and `replicasPerMaster` replicas of each, every node
 * on two free ports (clients, cluster bus).
 */
export interface PrivateCluster {
  readonly nodes: readonly PrivateClusterNode[]
  /** What `createCluster` takes: `[{ url: 'redis://127.0.0.1:<port>' }, …]`. */
  readonly rootNodes: { url: string }[]
  /** The node that serves `key`'s slot now (asked with `CLUSTER KEYSLOT` and `CLUSTER SHARDS`). */
  nodeOf(key: string): Promise<PrivateClusterNode>
  /** The nodes replicating `master` now (`CLUSTER REPLICAS`). */
  replicasOf(master: PrivateClusterNode): Promise<PrivateClusterNode[]>
  /**
   * Resolves once every node reports `cluster_state:ok` and knows the whole cluster, and every
   * replica is in sync with its master.
   */
  ready(): Promise<void>
  /** Kills every node and removes their directories. */
  stop(): Promise<void>
}

async function redisCli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], 5_000)
  return stdout
}

async function run(file: string, args: string[], timeout: number): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`))
      else resolve({ stdout })
    })
  })
}

/** `count` distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < count) ports.add(await freePort())
  return [...ports]
}

/**
 * Starts `masters` redis-server processes with `--cluster-enabled yes` (no persistence, each in its own
 * temp directory), joins them with `redis-cli --cluster create`, and waits for `cluster_state:ok`.
 * Without replicas a killed master's slots stay down until it is restarted (empty). Failover is
 * the test's to trigger (`CLUSTER FAILOVER TAKEOVER` on a replica): nodes time out after 2 s.
 */
export async function startPrivateCluster(masters = 3, replicasPerMaster = 0): Promise<PrivateCluster> {
  const count = masters * (1 + replicasPerMaster)
  const ports = await freePorts(count * 2)
  const dirs: string[] = []
  const nodes: PrivateClusterNode[] = []
  for (let index = 0; index < count; index += 1) {
    const port = ports[index] as number
    const busPort = ports[count + index] as number
    const dir = mkdtempSync(join(tmpdir(), 'jwtguard-cluster-'))
    dirs.push(dir)
    let current: OwnedProcess | undefined
    const launch = async () => {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      )
      current = owned(child)
      await waitUntil(async () => (await redisCli(port, ['ping'])).trim() === 'PONG', `cluster node ${port}`)
    }
    await launch()
    nodes.push({
      port,
      url: `redis://127.0.0.1:${port}`,
      get pid() {
        return current?.pid ?? 0
      },
      pause: () => current?.pause(),
      resume: () => current?.resume(),
      kill: async () => current?.kill(),
      restart: launch,
    })
  }
  const stop = async () => {
    for (const node of nodes) await node.kill()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
  const ready = () =>
    waitUntil(
      async () => {
        for (const node of nodes) {
          const info = await redisCli(node.port, ['cluster', 'info'])
          if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${count}`)) {
            return false
          }
          // Replicas in sync with their master (a replica still loading its first copy acks nothing).
          const replication = await redisCli(node.port, ['info', 'replication'])
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return false
          if (
            replication.includes('role:master') &&
            !replication.includes(`connected_slaves:${replicasPerMaster}`)
          ) {
            return false
          }
        }
        return true
      },
      `cluster on ${ports.slice(0, count).join(', ')}`,
    )
  try {
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      30_000,
    )
    await ready()
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes,
    rootNodes: nodes.map((node) => ({ url: node.url })),
    async nodeOf(key) {
      const first = nodes[0] as PrivateClusterNode
      const slot = Number((await redisCli(first.port, ['cluster', 'keyslot', key])).trim())
      // CLUSTER SLOTS: per range, "start end host port id ..." one value a line.
      const lines = (await redisCli(first.port, ['cluster', 'slots'])).trim().split('\n')
      for (let index = 0; index + 3 < lines.length; index += 1) {
        const start = Number(lines[index])
        const end = Number(lines[index + 1])
        if (!(slot >= start && slot <= end) || lines[index + 2]?.trim() !== '127.0.0.1') continue
        const port = Number(lines[index + 3])
        const node = nodes.find((each) => each.port === port)
        if (node !== undefined) return node
      }
      throw new Error(`no node serves slot ${slot} of ${key}`)
    },
    async replicasOf(master) {
      const id = (await redisCli(master.port, ['cluster', 'myid'])).trim()
      // One line a replica: "<id> 127.0.0.1:<port>@<bus> slave <master id> ...".
      const lines = (await redisCli(master.port, ['cluster', 'replicas', id])).trim().split('\n')
      const ports = lines.map((line) => Number(/127\.0\.0\.1:(\d+)@/.exec(line)?.[1]))
      return nodes.filter((node) => ports.includes(node.port))
    },
    ready,
    stop,
  }
}
