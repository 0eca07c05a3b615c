/**
 * Issue 11 item 2: every export of every subpath is documented (TypeDoc enforces that in
 * `npm run docs`), every exported function and class a user calls has an `@example`, and every
 * `@example` typechecks, as a module importing the package's public subpaths, against the sources:
 * an example that no longer compiles after an API change fails here. Names an example uses without
 * defining (`secret`, `guard`, `token`, ...) are declared once below, as a reader would assume them.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/** What examples may use without defining it: the reader's own values. */
const ASSUMED = `
declare global {
  var secret: string
  var authenticate: (username: string, password: string) => Promise<{ id: number } | null>
  var identity: (payload: import('jwtguard').JwtPayload) => Promise<{ user_id: number } | null>
  var guard: import('jwtguard').JwtGuard<{ user_id: number }>
  var token: string
  var payload: import('jwtguard').JwtPayload
  var users: import('jwtguard/users').UserStore
  var store: import('jwtguard/stores/memory').TokenStore
}
export {}
`

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, Record<string, string> | string>
}
const entryPoints = Object.values(manifest.exports).flatMap((entry) =>
  typeof entry === 'string' ? [] : [resolve((entry['jwtguard-source'] as string).slice(2))],
)
const config = ts.getParsedCommandLineOfConfigFile(
  'tsconfig.json',
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
    },
  },
) as ts.ParsedCommandLine

interface Example {
  /** `file:line` of the documented declaration, and the exported name. */
  where: string
  code: string
}

/**
 * The `@example` code blocks of a declaration's doc comment, read from the source text: the
 * compiler's JSDoc parser would end a block at a line holding a decorator (`@Get('me')`, NestJS).
 */
function rawExamples(declaration: ts.Declaration): string[] {
  const text = declaration.getSourceFile().text
  return ts
    .getJSDocCommentsAndTags(declaration)
    .filter(ts.isJSDoc)
    .flatMap((doc) => {
      const comment = text
        .slice(doc.pos, doc.end)
        .split('\n')
        .map((line) => line.replace(/^\s*\*( |$)/, ''))
        .join('\n')
      return [...comment.matchAll(/@example\s*\n(```(?:ts|typescript)?\n[\s\S]*?```)/g)].map(
        (m) => m[1] ?? '',
      )
    })
}

/** The exported functions, classes and callable constants of every entry point, with their examples. */
function collect(): { undocumented: string[]; examples: Example[] } {
  const program = ts.createProgram(entryPoints, { ...config.options, noEmit: true })
  const checker = program.getTypeChecker()
  const undocumented: string[] = []
  const examples = new Map<string, Example>()
  for (const entry of entryPoints) {
    const source = program.getSourceFile(entry)
    const module = source && checker.getSymbolAtLocation(source)
    if (module === undefined) throw new Error(`no module symbol for ${entry}`)
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const declaration = symbol.valueDeclaration
      if (declaration === undefined) continue
      const callable =
        (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) !== 0 ||
        ((symbol.flags & ts.SymbolFlags.Variable) !== 0 &&
          checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures().length > 0)
      if (!callable) continue
      const file = declaration.getSourceFile()
      const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1
      const where = `${file.fileName.replace(`${process.cwd()}/`, '')}:${line} ${symbol.name}`
      const raw = rawExamples(declaration)
      const blocks =
        raw.length > 0
          ? raw
          : symbol
              .getJsDocTags(checker)
              .filter((tag) => tag.name === 'example')
              .map((tag) => ts.displayPartsToString(tag.text))
      if (blocks.length === 0) undocumented.push(where)
      for (const [index, block] of blocks.entries()) {
        const code = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(block)?.[1] ?? block
        examples.set(`${where}#${index}`, { where, code })
      }
    }
  }
  return { undocumented, examples: [...examples.values()] }
}

const { undocumented, examples } = collect()

describe('API reference', () => {
  it('every exported function and class has an @example', () => {
    expect(undocumented).toEqual([])
    expect(examples.length).toBeGreaterThan(50)
  })

  it('every @example typechecks against the public subpaths', () => {
    const root = resolve('test/package/.examples')
    const files = new Map<string, string>([[`${root}/assumed.ts`, ASSUMED]])
    examples.forEach((example, index) => {
      files.set(`${root}/example-${index}.ts`, `${example.code}\nexport {}\n`)
    })
    const host = ts.createCompilerHost(config.options)
    const { getSourceFile, fileExists, readFile } = host
    host.fileExists = (name) => files.has(name) || fileExists.call(host, name)
    host.readFile = (name) => files.get(name) ?? readFile.call(host, name)
    host.getSourceFile = (name, language, ...rest) => {
      const text = files.get(name)
      return text === undefined
        ? getSourceFile.call(host, name, language, ...rest)
        : ts.createSourceFile(name, text, language)
    }
    const program = ts.createProgram(
      [...files.keys()],
      { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
      host,
    )
    const problems: string[] = []
    for (const [name] of files) {
      const source = program.getSourceFile(name)
      if (source === undefined) continue
      for (const diagnostic of [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ]) {
        const index = Number(/example-(\d+)\.ts$/.exec(name)?.[1])
        const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1
        const where = Number.isNaN(index) ? name : examples[index]?.where
        problems.push(
          `${where} (example line ${line}): ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
        )
      }
    }
    expect(problems).toEqual([])
  }, 120_000)
})
