/**
 * Issue 16 item 5: the tests lean on the library, not on the reference server. A test file may
 * reach server/ (import it, directly or through a helper of test/, read or start one of its files)
 * only if the reference server is what it tests:
 *
 * - test/server/: the server's own tests (configuration, start-up, logs, policies, its apps);
 * - test/http/, test/openapi/: the server's HTTP contract (docs/CONTRACT.md) and OpenAPI document;
 * - test/e2e/: the server's browser page; test/fleet/: several server processes on shared stores;
 * - test/cli/: the CLI administers the server's DATA_DIR and KEY_DIR, and its tests check that the
 *   server accepts what the CLI wrote;
 * - the helpers that build the server for those: test/support/server.ts, apps.ts and process.ts.
 *
 * Everything else (adapters, stores, users, attacks, core, package, ...) mounts the library
 * directly; a file outside the set that reaches server/ fails here, with the path it takes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SERVER = join(ROOT, 'server')

const ALLOWED_DIRECTORIES = [
  'test/server/',
  'test/http/',
  'test/openapi/',
  'test/e2e/',
  'test/fleet/',
  'test/cli/',
]
const ALLOWED_FILES = ['test/support/server.ts', 'test/support/apps.ts', 'test/support/process.ts']

function allowed(file: string): boolean {
  return ALLOWED_DIRECTORIES.some((directory) => file.startsWith(directory)) || ALLOWED_FILES.includes(file)
}

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (name === 'node_modules' || name.startsWith('.')) return []
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(?:ts|mts|mjs|js)$/.test(name) ? [path] : []
  })
}

/** What a source refers to: its module specifiers and its path-like string literals. */
function references(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: string[] = []
  // import ... from '...', export ... from '...', import '...', import('...'), and every quoted
  // string that looks like a path into server/ (spawned entry points, files read).
  for (const match of code.matchAll(
    /\bfrom\s+['"]([^'"]+)['"]|(?<![-\w])import\s*(?:\(\s*)?['"]([^'"]+)['"]/g,
  )) {
    found.push((match[1] ?? match[2]) as string)
  }
  for (const match of code.matchAll(/['"`]((?:\.\.?\/)*server\/[^'"`$]*)/g)) found.push(match[1] as string)
  return [...new Set(found)]
}

/** `specifier` of `file`, as an absolute path when it is a path (`undefined` for a package). */
function target(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return resolve(dirname(file), specifier)
  if (specifier.startsWith('server/')) return join(ROOT, specifier) // relative to the repository (spawn, readFileSync)
  return undefined
}

/** The test files whose references lead into server/, each with the first path it takes. */
function reachingServer(files: readonly string[]): Map<string, string[]> {
  const byPath = new Map(files.map((file) => [file.replace(/\.(?:ts|mts|mjs|js)$/, ''), file]))
  const edges = new Map<string, string[]>()
  for (const file of files) {
    edges.set(
      file,
      references(readFileSync(file, 'utf8')).flatMap((specifier) => target(file, specifier) ?? []),
    )
  }
  const routes = new Map<string, string[]>()
  let changed = true
  while (changed) {
    changed = false
    for (const [file, targets] of edges) {
      if (routes.has(file)) continue
      for (const path of targets) {
        if (path === SERVER || path.startsWith(`${SERVER}/`)) {
          routes.set(file, [relative(ROOT, path)])
          changed = true
          break
        }
        const helper = byPath.get(path.replace(/\.(?:ts|mts|mjs|js)$/, ''))
        const via = helper === undefined ? undefined : routes.get(helper)
        if (helper !== undefined && via !== undefined) {
          routes.set(file, [relative(ROOT, helper), ...via])
          changed = true
          break
        }
      }
    }
  }
  return routes
}

// This file names server/ paths in its own self-check, as strings: it is the one file not walked.
const files = sources(join(ROOT, 'test')).filter((file) => file !== import.meta.filename)
const routes = reachingServer(files)

describe('tests and server/', () => {
  it('only the server’s own tests and their helpers reach server/', () => {
    const offenders = [...routes]
      .map(([file, route]) => [relative(ROOT, file), route] as const)
      .filter(([file]) => !allowed(file))
      .map(([file, route]) => `${file} -> ${route.join(' -> ')}`)
    expect(offenders).toEqual([])
  })

  it('sees every kind of reference (the check can fail)', () => {
    expect(references(`import { x } from '../../server/config.js'`)).toEqual(['../../server/config.js'])
    expect(references(`const m = await import('../../server/openapi.js')`)).toEqual([
      '../../server/openapi.js',
    ])
    expect(references(`spawn(node, ['--import', 'tsx', 'server/main.ts'])`)).toEqual(['server/main.ts'])
    // A template literal with a placeholder, as test/e2e/page.test.ts reads the server's page.
    const placeholder = ['$', '{name}'].join('')
    expect(
      references(`readFileSync(new URL(\`../../server/public/${placeholder}\`, import.meta.url))`),
    ).toEqual(['../../server/public/'])
    expect(references(`// import { x } from '../../server/config.js'`)).toEqual([])
    // Directly, and through a helper: the server's helpers are found, and a file using them is too.
    const apps = join(ROOT, 'test/support/apps.ts')
    expect(routes.get(apps)?.[0]).toMatch(/^server\//)
    expect(routes.get(join(ROOT, 'test/http/contract.test.ts'))?.[0]).toBe('test/support/apps.ts')
    expect(allowed('test/adapters/fixtures.ts')).toBe(false)
  })
})
