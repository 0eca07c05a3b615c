/** The reference server's own routes: the seed's protected resources and its open routes. */
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
export function apiPaths(ctx: DocContext): Record<string, { get: Operation }> {
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
