import type { CommonOptions, IssuingOptions } from 'jwtguard'

/**
 * Options a test lays over its own issuer guard: anything but the key source, which the test's
 * base options give (the type checker refuses two key sources at once).
 */
export type GuardOverrides<TIdentity> = Partial<CommonOptions<TIdentity> & IssuingOptions>
