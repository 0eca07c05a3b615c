/** A description of the machine and software a run was measured on. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'

/** What the results depend on, printed above the table and stored in the JSON. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  freeMemoryGiB: number
  platform: string
  node: string
  v8: string
  loadAverage: [number, number, number]
  commit: string | undefined
  dirty: boolean | undefined
  packages: Record<string, string | undefined>
}

const PACKAGES = [
  'fast-jwt',
  'jsonwebtoken',
  'jose',
  'fastify',
  '@fastify/jwt',
  'express',
  'express-jwt',
  'hono',
  '@hono/node-server',
  '@nestjs/core',
  '@nestjs/passport',
  'passport-jwt',
  'autocannon',
]

function packageVersion(name: string): string | undefined {
  try {
    const json = JSON.parse(
      readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8'),
    )
    return typeof json.version === 'string' ? json.version : undefined
  } catch {
    return undefined
  }
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/** The 1, 5 and 15 minute load averages, rounded to two decimals. */
export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg()
  const round = (value: number) => Math.round(value * 100) / 100
  return [round(one), round(five), round(fifteen)]
}

/** Describes this machine now. */
export function describeMachine(): MachineInfo {
  const cpuList = cpus()
  const status = git(['status', '--porcelain', '--untracked-files=no'])
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: loadAverage(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: status === undefined ? undefined : status !== '',
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(name)])),
  }
}
