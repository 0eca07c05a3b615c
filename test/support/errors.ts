/** Test helpers that turn a coded failure into its code, so tests assert on codes. */
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
