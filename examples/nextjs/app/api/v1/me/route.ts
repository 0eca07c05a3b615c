/** GET /api/v1/me: the identity of the token, typed through `Register`. */
import { auth } from '../../../../lib/auth.js'

export const runtime = 'nodejs'

export const GET = auth.protect((_request, { identity }) => Response.json(identity))
