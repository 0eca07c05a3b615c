/**
 * Issue 11 item 5: what `npm pack` would publish. Only the build (dist/**: .js and .d.ts), the
 * CLI launcher, README.md, package.json (and LICENSE): no tests, no server, no sources, no data,
 * no keys, secrets or .env files, no source maps (their sources are not published). Every target
 * of the exports map and of `bin` is in it, and the built entry points export the same names as
 * the sources. Needs `npm run build` first (CI builds before `npm test`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../support/http.js'

interface PackResult {
  name: string
  files: { path: string; size: number }[]
}
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, Record<string, string> | string>
  bin: Record<string, string>
}

const ALLOWED = [
  /^dist\/.+\.js$/,
  /^dist\/.+\.d\.ts$/,
  /^bin\/jwtguard\.js$/,
  /^README\.md$/,
  /^package\.json$/,
  /^LICENSE$/,
]
const FORBIDDEN = [
  /^(test|tests|server|src|bench|examples|docs|data|coverage|test-artifacts|node_modules|\.ci)\//,
  /(^|\/)\.env(\.|$)/,
  /\.(test|spec)\.[cm]?[jt]s$/,
  /\.(pem|key|jwk|db|sqlite|sqlite3|map|ts)$/,
  // The reference server's generated secret (DATA_DIR/secret.key) and the usual secret files.
  /(^|\/)(secret\.key|secrets?\.(json|ya?ml|txt))$/i,
]

let files: string[] = []
beforeAll(() => {
  if (!existsSync('dist/index.js')) throw new Error('dist/ is missing: run `npm run build` before this test')
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const [result] = JSON.parse(output) as PackResult[]
  files = (result?.files ?? []).map((file) => file.path).sort()
}, 60_000)

describe('npm pack --dry-run', () => {
  it('holds only the build, the CLI launcher, README.md, package.json and LICENSE', () => {
    expect(files.length).toBeGreaterThan(10)
    expect(files.filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))).toEqual([])
    const forbidden = files.filter(
      (path) => !path.endsWith('.d.ts') && FORBIDDEN.some((pattern) => pattern.test(path)),
    )
    expect(forbidden).toEqual([])
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'bin/jwtguard.js']))
  })

  it('holds every target of the exports map (but the sources) and of bin', () => {
    const targets = Object.values(manifest.exports).flatMap((entry) =>
      typeof entry === 'string'
        ? [entry]
        : Object.entries(entry)
            .filter(([condition]) => condition !== 'jwtguard-source')
            .map(([, target]) => target),
    )
    for (const target of [...targets, ...Object.values(manifest.bin)]) {
      expect(files, target).toContain(target.replace(/^\.\//, ''))
    }
  })

  it('holds no private key, token or test secret', () => {
    const leaks = [
      /-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/]/,
      /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/,
      new RegExp(TEST_SECRET),
    ]
    const found = files.filter((path) => {
      const text = readFileSync(path, 'utf8')
      return leaks.some((pattern) => pattern.test(text))
    })
    expect(found).toEqual([])
  })

  it('the built entry points export the same names as the sources', async () => {
    for (const entry of Object.values(manifest.exports)) {
      if (typeof entry === 'string') continue
      const built = (await import(pathToFileURL(entry.default as string).href)) as Record<string, unknown>
      const source = (await import(pathToFileURL(entry['jwtguard-source'] as string).href)) as Record<
        string,
        unknown
      >
      expect(Object.keys(built).sort(), entry.default).toEqual(Object.keys(source).sort())
    }
  })
})
