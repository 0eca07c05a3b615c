/** Test helpers that turn a failure into what a test asserts on: its code, or accepted/refused. */
import { type ErrorCode, isJwtGuardError } from 'jwtguard'

/** The code a promise rejects with, or `'no error'`; anything not a JwtGuardError is rethrown. */
export async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode | 'no error'> {
  try {
    await promise
    return 'no error'
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
    return error.code
  }
}

/** Whether `verify` accepts `token` (returns) or refuses it (throws anything). */
export function accepts(verify: (token: string) => unknown, token: string): boolean {
  try {
    verify(token)
    return true
  } catch {
    return false
  }
}
