/**
 * A static walk of the sources' import graph: which of Node's modules an entry point loads, and
 * which modules import which. Reads the files as text (`import type` is erased, so it is skipped).
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** The modules `file` imports or re-exports for their values (`import type` is erased). */
export function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
  const statement = /^(?:import|export)\s+(?!type\s)(?:[\w$*{},\s]+?\s+from\s+)?'([^']+)'/gm
  return [...source.matchAll(statement)].map((match) => match[1] as string)
}

/**
 * Every `node:` module loaded, statically, by importing `entry`. A bare package specifier throws
 * unless it is one of `packages` (a framework the entry is for), which is not followed.
 */
export function nodeModulesOf(entry: string, packages: readonly string[] = []): Set<string> {
  const seen = new Set<string>()
  const builtins = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('node:')) builtins.add(specifier)
      else if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else if (!packages.some((name) => specifier === name || specifier.startsWith(`${name}/`))) {
        throw new Error(`${file} imports the package ${specifier}`)
      }
    }
  }
  visit(resolve(entry))
  return builtins
}
