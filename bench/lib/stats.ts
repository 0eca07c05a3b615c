/** Order statistics over samples: the machine is shared, so medians, never means. */

/** Median, min and max of a set of samples. */
export interface Summary {
  median: number
  min: number
  max: number
  samples: number[]
}

/** The median of `values` (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] as number
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2
}

/** Median, min and max of `values`. */
export function summarize(values: readonly number[]): Summary {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    samples: [...values],
  }
}

/**
 * Ratio of two interleaved series, round by round (sample i of `a` was taken in the same round as
 * sample i of `b`, so both saw the same machine load), summarised by its median.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const ratios: number[] = []
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const numerator = a[index] as number
    const denominator = b[index] as number
    if (denominator > 0) ratios.push(numerator / denominator)
  }
  return summarize(ratios)
}
