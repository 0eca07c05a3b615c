/** The security schemes: the Authorization header always, cookies and the query parameter when configured. */
import type { DocContext } from './context.js'
import type { Schema } from './types.js'

export type Security = Record<string, string[]>[]

export function securitySchemes(ctx: DocContext): Record<string, Schema> {
  const { prefix, cookies, queryParam } = ctx
  const schemes: Record<string, Schema> = {
    JWT: {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description:
        ctx.schemes.length === 1
          ? `\`${prefix} <token>\`: the access token after the prefix \`${prefix}\` (case-insensitive) and one space, as Flask-JWT sends it.`
          : `${ctx.schemes.map((scheme) => `\`${scheme} <token>\``).join(' or ')}: the access token after one of these schemes (case-insensitive) and one space.`,
    },
  }
  if (cookies !== undefined) {
    const login = ctx.issuer?.authPath || '/auth'
    schemes.cookie = {
      type: 'apiKey',
      in: 'cookie',
      name: cookies.accessName,
      description: `The HttpOnly access-token cookie set by \`POST ${login}\`. Requests with other methods than GET, HEAD and OPTIONS also need the CSRF header.`,
    }
    schemes.csrf = {
      type: 'apiKey',
      in: 'header',
      name: cookies.csrfHeader,
      description: `The value of the readable \`${cookies.csrfName}\` cookie, echoed on unsafe methods when the token comes from a cookie (double submit, bound to the token's \`csrf\` claim).`,
    }
  }
  if (queryParam !== undefined) {
    schemes.query = {
      type: 'apiKey',
      in: 'query',
      name: queryParam,
      description: 'The access token as a query parameter (for links that cannot send a header).',
    }
  }
  return schemes
}

/**
 * The security requirement of a route: the header, or the cookie (with the CSRF header on
 * `unsafe` methods), or the query parameter, each with the route's `roles`.
 */
export function routeSecurity(ctx: DocContext, unsafe: boolean, roles: string[] = []): Security {
  const security: Security = [{ JWT: roles }]
  if (ctx.cookies !== undefined) security.push(unsafe ? { cookie: roles, csrf: [] } : { cookie: roles })
  if (ctx.queryParam !== undefined) security.push({ query: roles })
  return security
}
