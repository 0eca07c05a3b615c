// `npm run build`: the package (dist/, what npm publishes) and the reference server compiled to
// JavaScript (build/, what `npm start` runs when it is there and newer than the sources).
//
//   1. dist/: src/ through tsconfig.build.json (.js and .d.ts);
//   2. build/server/: server/ through tsconfig.server.json, against dist/'s types, as an application
//      of the package would be (`jwtguard/...` resolves to dist/ at run time); the few src/config/
//      modules the server shares with the CLI by path land in build/src/;
//   3. the page's files (server/public/*, read at start-up) beside the compiled server;
//   4. build/BUILT, written last: scripts/start.sh runs build/ only when this stamp is newer than
//      every source, so a failed or stale build never runs.
import { execFileSync } from 'node:child_process'
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')

function compile(project) {
  execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' })
}

rmSync(join(root, 'dist'), { recursive: true, force: true })
rmSync(join(root, 'build'), { recursive: true, force: true })
compile('tsconfig.build.json')
compile('tsconfig.server.json')
const pageSource = join(root, 'server/public')
const pageTarget = join(root, 'build/server/public')
for (const name of readdirSync(pageSource)) {
  if (!name.endsWith('.ts')) copyFileSync(join(pageSource, name), join(pageTarget, name))
}
writeFileSync(join(root, 'build/BUILT'), `${new Date().toISOString()}\n`)
