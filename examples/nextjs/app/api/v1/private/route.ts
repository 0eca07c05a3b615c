/** GET /api/v1/private: only with a valid access token (`Authorization: JWT <token>`). */
import { auth } from '../../../../lib/auth.js'

export const runtime = 'nodejs'

export const GET = auth.protect(() => Response.json({ meaning_of_life: 42 }))
