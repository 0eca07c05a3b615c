/**
 * `npm start`: the reference server of shared/CONTRACT.md, on the framework `FRAMEWORK` names
 * (fastify by default, express, hono, nest-express or nest-fastify).
 */
import pino from 'pino'
import { buildExpressApp, type Listening, listenExpress } from './apps/express.js'
import { buildFastifyApp } from './apps/fastify.js'
import { buildHonoApp, listenHono } from './apps/hono.js'
import { buildNestApp, listenNest } from './apps/nest.js'
import { ConfigError, loadConfig, type ServerConfig } from './config.js'
import { createServerContext, type ServerContext, StartupRefusal } from './context.js'

async function listen(config: ServerConfig, context: ServerContext): Promise<Omit<Listening, 'server'>> {
  switch (config.framework) {
    case 'express':
      return listenExpress(buildExpressApp(context), config.port, config.host)
    case 'hono':
      return listenHono(buildHonoApp(context), config.port, config.host)
    case 'nest-express':
      return listenNest(await buildNestApp(context, 'express'), config.port, config.host)
    case 'nest-fastify':
      return listenNest(await buildNestApp(context, 'fastify'), config.port, config.host)
    case 'fastify': {
      const app = await buildFastifyApp(context)
      const address = await app.listen({ port: config.port, host: config.host })
      return { address, close: () => app.close() }
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  if (config.secretSource === 'generated') {
    logger.warn({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: generated a secret and saved it')
  } else if (config.secretSource === 'data-dir') {
    logger.info({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: using the secret saved earlier')
  }
  const context = await createServerContext(config, logger)
  const { address, close } = await listen(config, context)
  logger.info(
    { address, dataDir: config.dataDir, database: config.databaseFile, framework: config.framework },
    `jwtguard reference server (${config.framework}) listening on ${address}`,
  )
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      close()
        .then(() => context.close())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        )
    })
  }
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
