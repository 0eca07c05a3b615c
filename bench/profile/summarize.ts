/**
 * Summarises a V8 .cpuprofile: self time per function (top N), and total (inclusive) time of
 * the functions whose location matches an optional filter.
 *   npx tsx bench/profile/summarize.ts FILE.cpuprofile [top=25] [filter]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg, filter] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: summarize.ts FILE.cpuprofile [top] [filter]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topArg ?? 25)

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

const selfTime = new Map<number, number>()
let total = 0
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0
  selfTime.set(id, (selfTime.get(id) ?? 0) + delta)
  total += delta
})

const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame
  const where =
    url === ''
      ? ''
      : ` ${url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, '~/')}:${lineNumber + 1}`
  return `${functionName || '(anonymous)'}${where}`
}

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
for (const [id, time] of selfTime) {
  const node = byId.get(id)
  if (node === undefined) continue
  self.set(label(node), (self.get(label(node)) ?? 0) + time)
  const seen = new Set<string>()
  for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
    const ancestor = byId.get(current)
    if (ancestor === undefined) break
    const name = label(ancestor)
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + time)
  }
}

const percent = (time: number) => `${((time / total) * 100).toFixed(1).padStart(5)}%`
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n\nself time:`)
for (const [name, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${percent(time)}  ${name}`)
}
console.log(`\ninclusive time${filter ? ` (matching ${filter})` : ''}:`)
for (const [name, time] of [...inclusive]
  .filter(([name]) => filter === undefined || name.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${percent(time)}  ${name}`)
}
