/** POST /auth, /auth/refresh and /auth/revoke: the guard answers them all, 404 for anything else here. */
import { auth } from '../../../lib/auth.js'

export const runtime = 'nodejs'

export async function POST(request: Request): Promise<Response> {
  return (await auth.handle(request)) ?? auth.notFound(request)
}

/** GET /auth: the contract's 405 with `Allow: POST`. */
export const GET = POST
