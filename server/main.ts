/**
 * `npm start`: the reference server of shared/CONTRACT.md.
 */
import pino from 'pino'
import { buildFastifyApp } from './apps/fastify.js'
import { ConfigError, loadConfig } from './config.js'
import { createServerContext } from './context.js'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  if (config.secretSource === 'generated') {
    logger.warn({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: generated a secret and saved it')
  } else if (config.secretSource === 'data-dir') {
    logger.info({ file: config.secretFile }, 'JWT_SECRET_KEY is not set: using the secret saved earlier')
  }
  const context = await createServerContext(config, logger)
  const app = await buildFastifyApp(context)
  app.addHook('onClose', () => context.close())
  const address = await app.listen({ port: config.port, host: config.host })
  logger.info(
    { address, dataDir: config.dataDir, database: config.databaseFile, framework: config.framework },
    `jwtguard reference server listening on ${address}`,
  )
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    })
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TypeError || error instanceof RangeError) {
    process.stderr.write(`jwtguard: ${error.message}\n`)
  } else {
    process.stderr.write(`jwtguard: failed to start: ${String(error)}\n`)
  }
  process.exit(1)
})
