/**
 * Issue 20 item 4: the HTTP contract lives in the repository (docs/CONTRACT.md) and the README links it.
 * Every error description the contract quotes comes from the core's own messages (or the server's, for
 * what Node's parser refuses before any adapter runs), so the page cannot
 * promise a wording the server does not send (the contract suite in test/http checks the answers).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const contract = readFileSync('docs/CONTRACT.md', 'utf8')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}
// The core's messages, and the reference server's answers to what never reaches an adapter (Node's parser).
const code = [...sources('src'), ...sources('server')].map((file) => readFileSync(file, 'utf8')).join('\n')

/** Every template literal of src/ with a placeholder, as a pattern: `Token lacks ${which}: ${list}`. */
const templates = [...code.matchAll(/`([^`$]*\$\{[^`]*)`/g)]
  .filter(([, body = '']) => body.replace(/\$\{[^}]*\}/g, '').trim().length >= 8)
  .map(
    ([, body = '']) =>
      new RegExp(
        `^${body
          .split(/\$\{[^}]*\}/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.+')}$`,
      ),
  )

/** The quoted descriptions of the contract's error table (the 4th column, when it is one literal). */
function quotedDescriptions(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf('## Errors'), markdown.indexOf('## Start-up'))
  return section
    .split('\n')
    .filter((line) => /^\| .* \| \d{3} \|/.test(line))
    .map((line) => line.split(' | ')[3] ?? '')
    .map((cell) => /^`([^`]+)`/.exec(cell)?.[1])
    .filter((literal): literal is string => literal !== undefined)
}

describe('docs/CONTRACT.md', () => {
  it('is linked from the README', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('](docs/CONTRACT.md)')
  })

  it('quotes only descriptions the core sends (a literal of src/, or a template of it filled in)', () => {
    const quoted = quotedDescriptions(contract)
    expect(quoted.length).toBeGreaterThanOrEqual(15)
    const missing = quoted.filter(
      (text) => !code.includes(text) && !templates.some((pattern) => pattern.test(text)),
    )
    expect(missing).toEqual([])
  })

  it('lists every route the OpenAPI document names', async () => {
    const { buildOpenApiDocument } = await import('../../server/openapi.js')
    const { createJwtGuard, generateAsymmetricKey } = await import('jwtguard')
    const { createMemoryStore } = await import('jwtguard/stores/memory')
    const guard = createJwtGuard({
      key: generateAsymmetricKey('ES256', { kid: 'doc' }),
      refreshSecret: 'contract-doc-refresh-secret-of-32-bytes!',
      store: createMemoryStore({ pruneInterval: 0 }),
      tokenLocation: ['header', 'cookies'],
      authenticate: () => null,
      identity: () => null,
    })
    for (const [path, item] of Object.entries(buildOpenApiDocument(guard).paths)) {
      for (const method of Object.keys(item)) {
        expect(contract, path).toContain(`\`${method.toUpperCase()} ${path}\``)
      }
    }
  })
})
