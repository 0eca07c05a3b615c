/** The reference server's own routes: the seed's protected resources and its open routes. */

import { SESSIONS_PATH } from '../sessions.js'
import { type DocContext, JSON_TYPE, ref } from './context.js'
import { routeSecurity } from './security.js'
import type { Operation, Schema } from './types.js'

/** Where every framework's app serves the document. */
export const OPENAPI_PATH = '/openapi.json'

const common = { '405': ref('responses', 'MethodNotAllowed') }

function protectedGet(
  ctx: DocContext,
  operation: { operationId: string; summary: string; schema: string; example: unknown },
  roles: string[] = [],
): Operation {
  const roleNote =
    roles.length > 0 ? ` whose \`roles\` claim holds ${roles.map((role) => `\`${role}\``).join(' and ')}` : ''
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    description: `Needs a valid access token${roleNote}. Every 401 carries \`WWW-Authenticate: ${ctx.prefix} realm="${ctx.realm}"\`, with RFC 6750's \`error\` and \`error_description\` when a token was sent and refused.`,
    tags: ['api'],
    security: routeSecurity(ctx, false, roles),
    responses: {
      '200': {
        description: 'The resource.',
        content: {
          [JSON_TYPE]: {
            schema: ref('schemas', operation.schema),
            examples: { ok: { summary: 'The answer', value: operation.example } },
          },
        },
      },
      '401': ref('responses', 'Unauthorized'),
      ...(ctx.hasStore ? { '503': ref('responses', 'ServiceUnavailable') } : {}),
      ...(roles.length > 0 ? { '403': ref('responses', 'Forbidden') } : {}),
      ...common,
    },
  }
}

/** The current user's sessions (server/sessions.ts): only with a token store, which keeps them. */
function sessionPaths(ctx: DocContext): Record<string, { get: Operation } | { delete: Operation }> {
  if (!ctx.hasStore) return {}
  const refusals = {
    '401': ref('responses', 'Unauthorized'),
    '503': ref('responses', 'ServiceUnavailable'),
    ...common,
  }
  const list: Operation = {
    operationId: 'getSessions',
    summary: "The current user's sessions",
    description:
      "Needs a valid access token. Lists the user's live sessions (one per login, kept through its refreshes), newest use first, with the device each was last used from; `current` marks the session of the token sent. Every instance lists the same: the token store keeps them.",
    tags: ['api'],
    security: routeSecurity(ctx, false),
    responses: {
      '200': {
        description: 'The sessions.',
        content: {
          [JSON_TYPE]: {
            schema: ref('schemas', 'Sessions'),
            examples: {
              ok: {
                summary: 'Two devices',
                value: {
                  sessions: [
                    {
                      id: '0b4c5a2e-8f3d-4c1a-9e57-2d6f1b3a7c90',
                      created_at: 1764921600,
                      last_used_at: 1764925200,
                      expires_at: 1766134800,
                      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
                      client_address: '203.0.113.7',
                      current: true,
                    },
                  ],
                },
              },
            },
          },
        },
      },
      ...refusals,
    },
  }
  const end: Operation = {
    operationId: 'deleteSession',
    summary: 'End one session of the current user',
    description:
      'Needs a valid access token. Ends the session `id` of the token\'s user ("log out that device"): its refresh and access tokens are refused on every instance. A session of another user, or an id that is none, is a 404 alike.',
    tags: ['api'],
    security: routeSecurity(ctx, true),
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The session id, from `GET /api/v1/sessions`.',
        schema: { type: 'string' },
      },
    ],
    responses: {
      '204': { description: 'The session has ended.' },
      '404': {
        description: 'No live session of the current user has this id.',
        content: ctx.errorContent({ notFound: 'sessionNotFound' }),
      },
      ...refusals,
    },
  }
  return { [SESSIONS_PATH]: { get: list }, [`${SESSIONS_PATH}/{id}`]: { delete: end } }
}

function publicGet(operationId: string, summary: string, description: string, schema: Schema): Operation {
  return {
    operationId,
    summary,
    description,
    tags: ['server'],
    security: [],
    responses: { '200': { description: summary, content: { [JSON_TYPE]: { schema } } }, ...common },
  }
}

/** The seed's API and the server's open routes. */
export function apiPaths(ctx: DocContext): Record<string, { get: Operation } | { delete: Operation }> {
  const page = `A small page (HTML, same-origin script) to log in, call the API, refresh and log out${ctx.cookies === undefined ? '' : ' in cookie mode'}.`
  return {
    '/api/v1/private': {
      get: protectedGet(ctx, {
        operationId: 'getPrivate',
        summary: "The seed's protected resource",
        schema: 'Private',
        example: { meaning_of_life: 42 },
      }),
    },
    '/api/v1/me': {
      get: protectedGet(ctx, {
        operationId: 'getMe',
        summary: 'The current identity',
        schema: 'Identity',
        example: ctx.issuer === undefined ? { sub: 'user-42', client_id: 'orders-client' } : { user_id: 123 },
      }),
    },
    '/api/v1/admin': {
      get: protectedGet(
        ctx,
        {
          operationId: 'getAdmin',
          summary: 'A resource for the admin role',
          schema: 'Admin',
          example: { admin: true },
        },
        ['admin'],
      ),
    },
    ...sessionPaths(ctx),
    '/health': {
      get: publicGet(
        'health',
        'Liveness',
        'The unprotected baseline: always `{"status": "ok"}` while the process serves requests.',
        ref('schemas', 'Health'),
      ),
    },
    '/': {
      get: {
        ...publicGet('getPage', 'The browser page', page, { type: 'string' }),
        responses: {
          '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
          ...common,
        },
      },
    },
    [OPENAPI_PATH]: {
      get: publicGet('getOpenApi', 'This document', 'The OpenAPI 3.1 document of this server.', {
        type: 'object',
      }),
    },
  }
}
