/**
 * The Fastify plugin with `renderAllErrors`: Fastify's own request errors on the application's
 * routes (its JSON parser, an empty JSON body, schema validation, a media type no parser takes)
 * answer in the contract's JSON with their 4xx status and the core's description, never 500.
 * Seen failing before: malformed JSON on an app route answered 500 "Internal Server Error".
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { createJwtGuard } from 'jwtguard'
import { FAILURES } from 'jwtguard/adapter'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const guard = createJwtGuard({
  secret: 'fastify-errors-test-secret-of-32-bytes!!',
  authenticate: () => null,
  identity: (payload) => payload,
})
let app: FastifyInstance
let token: string
const logged: unknown[] = []

beforeAll(async () => {
  app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => void logged.push(line) } } })
  await app.register(jwtGuardPlugin, { guard, renderAllErrors: true })
  app.post(
    '/api/v1/notes',
    {
      preHandler: app.jwtRequired(),
      schema: {
        body: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
      },
    },
    async (request) => request.body,
  )
  await app.ready()
  token = guard.createAccessToken({ id: 1 })
})
afterAll(() => app.close())

const post = (contentType: string, payload: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/notes',
    headers: { authorization: `JWT ${token}`, 'content-type': contentType },
    payload,
  })

describe('Fastify request errors on application routes (renderAllErrors)', () => {
  it.each([
    ['malformed JSON', 'application/json', '{"text":', 400, FAILURES.bodyNotJson.message],
    ['an empty JSON body', 'application/json', '', 400, FAILURES.bodyEmpty.message],
    [
      'a body the schema refuses',
      'application/json',
      '{"note": "no text"}',
      400,
      FAILURES.requestSchema.message,
    ],
    ['a media type no parser takes', 'application/x-unknown', 'text', 415, FAILURES.mediaType.message],
  ])('%s: its 4xx in the contract JSON', async (_case, contentType, payload, status, description) => {
    const response = await post(contentType, payload)
    expect(response.statusCode).toBe(status)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toEqual({
      status_code: status,
      error: status === 415 ? 'Unsupported Media Type' : 'Bad Request',
      description,
    })
  })

  it('a valid body still reaches the handler; nothing was logged as an unexpected failure', async () => {
    const response = await post('application/json', '{"text":"hello"}')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ text: 'hello' })
    expect(logged).toEqual([])
  })
})
