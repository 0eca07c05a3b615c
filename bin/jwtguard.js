#!/usr/bin/env node
// The `jwtguard` command. An installed package runs the built CLI (dist/cli/index.js). A source
// checkout without dist/ (or with JWTGUARD_CLI_FROM_SOURCE=1) runs src/cli/index.ts through tsx,
// with the jwtguard-source export condition, in a child process that gets this one's stdio.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/cli/index.js', import.meta.url)
const source = new URL('../src/cli/index.ts', import.meta.url)
const fromSource = process.env.JWTGUARD_CLI_FROM_SOURCE === '1' || !existsSync(fileURLToPath(built))

if (!fromSource) {
  const { run } = await import(built.href)
  await run()
} else {
  let tsx
  try {
    tsx = import.meta.resolve('tsx')
  } catch {
    process.stderr.write('jwtguard: dist/ is missing and tsx is not installed: run `npm run build` first\n')
    process.exit(1)
  }
  const child = spawn(
    process.execPath,
    ['--conditions=jwtguard-source', '--import', tsx, fileURLToPath(source), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  // The terminal sends Ctrl-C to both processes: let the child decide, then mirror its exit.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else {
      process.exit(code ?? 1)
    }
  })
}
