/**
 * Node's own answers to requests it cannot parse (`400`), whose headers are too large (`431`) or
 * that did not arrive in time (`408`), in the contract's JSON instead of an empty body (Express,
 * Hono) or Fastify's own shape. Node hands these to the server's `clientError` listeners before
 * any framework sees a request; Fastify takes the same function as its `clientErrorHandler`.
 *
 * Where no answer can be given: a connection the client reset or already closed, and one whose
 * response had started before the error; those are closed without a body, as Node does.
 */
import type { Duplex } from 'node:stream'

const ANSWERS: Record<number, [error: string, description: string]> = {
  400: ['Bad Request', 'The request could not be parsed as HTTP'],
  408: ['Request Timeout', 'The request did not arrive in time'],
  431: ['Request Header Fields Too Large', 'The request headers are too large'],
}

/** The status Node's parser error `code` stands for. */
function statusOf(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_REQUEST_TIMEOUT') return 408
  return 400
}

/** The raw HTTP/1.1 response for `status`: contract JSON, `Connection: close`. */
export function clientErrorResponse(status: number): string {
  const [error, description] = ANSWERS[status] ?? ANSWERS[400] ?? ['Bad Request', '']
  const body = JSON.stringify({ status_code: status, error, description })
  return [
    `HTTP/1.1 ${status} ${error}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n')
}

/** A `clientError` listener (and Fastify `clientErrorHandler`) answering in the contract's JSON. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
  if (error.code === 'ECONNRESET' || !socket.writable || started === true) {
    socket.destroy()
    return
  }
  socket.end(clientErrorResponse(statusOf(error.code)))
}
