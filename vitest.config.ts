import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Tests run on the TypeScript sources through the package's own subpaths (`jwtguard/fastify`),
// resolved by the `jwtguard-source` export condition.
const conditions = ['jwtguard-source', ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['jwtguard-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
