/**
 * Issue 20 item 3, the README's curl session: replayed against the reference server (what
 * `npm start` serves) and compared line by line ('...' elides a token). A test of the server, moved
 * here from test/package/readme.test.ts when tests outside test/server stopped importing server/
 * (issue 16).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { APPS } from '../support/apps.js'

/** The code of the README block marked `<!-- readme-test: NAME ... -->`. */
function block(name: string): string {
  const fence = /<!-- readme-test: ([^>]*?) -->\n```\w+\n([\s\S]*?)```/g
  for (const [, marker = '', code = ''] of readFileSync('README.md', 'utf8').matchAll(fence)) {
    if (marker.split(/\s+/)[0] === name) return code
  }
  throw new Error(`no README block ${name}`)
}

describe('README', () => {
  it("curl session: the reference server answers each line as printed ('...' elides a token)", async () => {
    const app = await APPS[1]?.create()
    if (app === undefined) throw new Error('no socket app')
    try {
      const session = block('curl-session').split('\n\n')
      expect(session.length).toBe(4)
      let token = ''
      for (const exchange of session) {
        const [command = '', expected = ''] = exchange.trim().split('\n')
        const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET'
        const path = /http:\/\/localhost:5000(\S+)/.exec(command)?.[1] ?? ''
        const headers = Object.fromEntries(
          [...command.matchAll(/-H "([^:]+): ([^"]+)"/g)].map(([, name = '', value = '']) => [
            name.toLowerCase(),
            value.replace('<access_token>', token),
          ]),
        )
        const body = /-d '([^']+)'/.exec(command)?.[1]
        const response = await app.request(method, path, { headers, ...(body === undefined ? {} : { body }) })
        if (!expected.includes('...')) {
          expect(response.text, command).toBe(expected)
          continue
        }
        // The login line: the same keys, each value starting as printed.
        const printed = JSON.parse(expected.replaceAll('...', '')) as Record<string, string>
        const answer = response.json() as Record<string, string>
        expect(Object.keys(answer), command).toEqual(Object.keys(printed))
        for (const [key, start] of Object.entries(printed))
          expect(answer[key]?.startsWith(start), key).toBe(true)
        token = answer.access_token ?? ''
      }
    } finally {
      await app.close()
    }
  })
})
