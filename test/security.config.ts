import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The slow hostile-notebook suite (resource floods): `npm run test:security`. CI runs it after `npm test`.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export default defineConfig({
  root,
  test: {
    include: ['test/**/*.security.ts'],
    setupFiles: ['src/matchers/index.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // one flood at a time: they measure the host
    maxWorkers: 1,
    env: { SKILLDELTA_CACHE_DIR: path.join(os.tmpdir(), `skilldelta-security-cache-${process.pid}`) },
  },
})
