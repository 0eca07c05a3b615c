/**
 * Issue 20 items 1 and 2: `npm test` prepares its own machine (scripts/test-setup.ts, the `pretest`
 * script) and refuses a Node.js older than `engines` with a message, before any suite crashes on it.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { atLeast, findChromium, minimumNode } from '../../scripts/test-setup.js'

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string }
  scripts: Record<string, string>
}

describe('the Node.js floor', () => {
  it('is 20.19 (require(esm), which Fastify inject() needs through cookie@2), or 22.12+', () => {
    expect(manifest.engines.node).toBe('^20.19.0 || >=22.12.0')
    expect(minimumNode(manifest.engines.node)).toEqual([20, 19, 0])
  })

  it.each([
    ['20.18.3', false],
    ['20.19.0', true],
    ['20.20.2', true],
    ['19.9.0', false],
    ['22.12.0', true],
    ['24.1.0', true],
  ])('%s is supported: %s', (version, supported) => {
    expect(atLeast(version, [20, 19, 0])).toBe(supported)
  })
})

describe('npm test prepares what the suites need', () => {
  it('runs the setup before vitest, and .ci/run calls the same command', () => {
    expect(manifest.scripts.pretest).toBe('tsx scripts/test-setup.ts')
    expect(manifest.scripts.test).toBe('vitest run')
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m)
  })

  it('finds Chromium from CHROMIUM_PATH before PATH', () => {
    const node = process.execPath
    expect(findChromium({ CHROMIUM_PATH: node, PATH: '' })).toBe(node)
    expect(findChromium({ CHROMIUM_PATH: '/nonexistent/chromium', PATH: '/nonexistent' })).toSatisfy(
      (found: string | undefined) => found === undefined || found === '/usr/bin/chromium',
    )
  })

  it('skips everything with JWTGUARD_TEST_SETUP=0 and exits 0', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/test-setup.ts'], {
      env: { ...process.env, JWTGUARD_TEST_SETUP: '0' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    expect(output).toBe('')
  })
})
