/** Plain-text tables and number formats for the report. */

/** Renders rows as an aligned table; columns listed in `right` are right-aligned. */
export function renderTable(header: string[], rows: string[][], right: ReadonlySet<number>): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0
        return right.has(column) ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/** 165432 -> "165.4k", 1234567 -> "1.23M". */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`
  return value.toFixed(0)
}

/** 0.9512 -> "0.95x". */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a'
}

/** The verdict of a ratio against its target, if it has one. */
export function verdict(value: number, target: number | undefined): string {
  if (target === undefined) return ''
  if (!Number.isFinite(value)) return `target >= ${target.toFixed(2)}: n/a`
  return `${value >= target ? 'MET' : 'MISSED'} (${value.toFixed(3)}, target >= ${target.toFixed(2)})`
}
