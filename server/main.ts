/**
 * `npm start`: the reference server of docs/CONTRACT.md, on the framework `FRAMEWORK` names
 * (fastify by default, express, hono, fetch, nest-express or nest-fastify).
 */
import type { Listening } from './apps/express.js'
import { ConfigError, loadConfig, type ServerConfig, storesInUse } from './config.js'
import { createServerContext, type ServerContext, StartupRefusal } from './context.js'
import { createLogger } from './logging.js'
import { manageProcessLife } from './shutdown.js'

// Only the framework in use is loaded: NestJS alone takes seconds to import (bench/cold-start.ts).
async function listen(config: ServerConfig, context: ServerContext): Promise<Listening> {
  switch (config.framework) {
    case 'express': {
      const { buildExpressApp, listenExpress } = await import('./apps/express.js')
      return listenExpress(buildExpressApp(context), config.port, config.host, config.httpLimits)
    }
    case 'hono': {
      const { buildHonoApp, listenHono } = await import('./apps/hono.js')
      return listenHono(buildHonoApp(context), config.port, config.host, config.httpLimits)
    }
    case 'fetch': {
      const { buildFetchApp, listenFetch } = await import('./apps/fetch.js')
      return listenFetch(buildFetchApp(context), config.port, config.host, config.httpLimits)
    }
    case 'nest-express':
    case 'nest-fastify': {
      const { buildNestApp, listenNest } = await import('./apps/nest.js')
      const platform = config.framework === 'nest-express' ? 'express' : 'fastify'
      return listenNest(await buildNestApp(context, platform), config.port, config.host)
    }
    case 'fastify': {
      const { buildFastifyApp } = await import('./apps/fastify.js')
      const app = await buildFastifyApp(context)
      const address = await app.listen({ port: config.port, host: config.host })
      return { address, server: app.server, close: () => app.close() }
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  if (config.secretSource === 'generated') {
    logger.warn({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: generated a secret and saved it')
  } else if (config.secretSource === 'data-dir') {
    logger.info({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: using the secret saved earlier')
  }
  const context = await createServerContext(config, logger)
  const { address, server, close } = await listen(config, context)
  const stores = storesInUse(config)
  logger.info(
    { address, framework: config.framework, ...stores },
    `jwtguard reference server (${config.framework}) listening on ${address}: users in ${stores.users}, tokens in ${stores.tokens}`,
  )
  manageProcessLife({
    server,
    close,
    release: () => context.close(),
    reload: () => context.reloadKeys(),
    timeoutMs: config.shutdownTimeout * 1000,
    logger,
  })
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof StartupRefusal ||
    error instanceof TypeError ||
    error instanceof RangeError
  ) {
    process.stderr.write(`jwtguard: ${error.message}\n`)
  } else {
    process.stderr.write(`jwtguard: failed to start: ${String(error)}\n`)
  }
  process.exit(1)
})
