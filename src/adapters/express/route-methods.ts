/**
 * The methods of the routes an Express router (4 or 5) has for a path, mounted routers included:
 * what `notFound` lists in `Allow`. Shared with `jwtguard/nest` on @nestjs/platform-express.
 *
 * @module
 * @internal
 */

/** What `notFound` reads of Express's router (4 and 5) to compute `Allow`. */
interface Layer {
  route?: { methods?: Record<string, unknown> }
  handle?: { stack?: unknown }
  path?: string
  match(path: string): unknown
}

/** The methods of every route under `stack` matching `path`, mounted routers included. */
export function routeMethods(stack: unknown, path: string, into: string[] = []): string[] {
  for (const layer of (Array.isArray(stack) ? stack : []) as Layer[]) {
    let match: unknown
    try {
      match = layer.match(path)
    } catch {}
    if (!match) continue
    if (layer.route?.methods) into.push(...Object.keys(layer.route.methods).filter((m) => m !== '_all'))
    else if (Array.isArray(layer.handle?.stack)) {
      // Express 5 returns the matched prefix; Express 4 keeps it on the layer.
      const prefix = typeof match === 'object' ? (match as { path?: unknown }).path : layer.path
      const rest = path.slice(typeof prefix === 'string' ? prefix.length : 0)
      routeMethods(layer.handle.stack, rest.startsWith('/') ? rest : `/${rest}`, into)
    }
  }
  return into
}
