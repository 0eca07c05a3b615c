/**
 * Authorization-server metadata discovery: the JWKS URL of an issuer, from its OpenID Provider
 * metadata (`/.well-known/openid-configuration`, OpenID Connect Discovery 1.0 §4) or, when it
 * has none, its OAuth 2.0 metadata (`/.well-known/oauth-authorization-server`, RFC 8414 §3).
 *
 * The metadata's `issuer` must equal the configured issuer exactly (RFC 8414 §3.3), so a document
 * served for another issuer (a mix-up, a proxy mistake) never supplies keys; `jwks_uri` must be
 * `https:` (loopback `http:` aside), as the issuer itself.
 *
 * @module
 */
import { type BoundedGet, boundedGet, checkFetchUrl } from './internal/bounded-fetch.js'

const ACCEPT = 'application/json'

/** Where an issuer's metadata may be: OpenID Connect's location first, then RFC 8414's. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ]
}

function parseMetadata(text: string, where: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`the metadata at ${where} is not valid JSON`, { cause: error })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`the metadata at ${where} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * The `jwks_uri` of `issuer`, read from its metadata.
 *
 * @throws {Error} (rejects) when neither location answers 200, or the document names another
 *   issuer, or has no usable `jwks_uri`; the message says which.
 */
export async function discoverJwksUrl(
  issuer: string,
  how: BoundedGet & { allowInsecureHttp: boolean },
): Promise<string> {
  const statuses: string[] = []
  for (const where of metadataUrls(issuer)) {
    const { status, text } = await boundedGet(where, how, ACCEPT, 'Issuer metadata')
    if (text === undefined) {
      statuses.push(`${where} answered HTTP ${status}`)
      continue
    }
    const metadata = parseMetadata(text, where)
    if (metadata.issuer !== issuer) {
      throw new Error(
        `the metadata at ${where} is for issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}: the configured issuer must be exactly the "issuer" of its metadata`,
      )
    }
    if (typeof metadata.jwks_uri !== 'string') throw new Error(`the metadata at ${where} has no jwks_uri`)
    return checkFetchUrl(metadata.jwks_uri, how.allowInsecureHttp, 'jwks_uri', 'https://issuer.example/jwks')
  }
  throw new Error(`no metadata for issuer ${issuer}: ${statuses.join('; ')}`)
}
