import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The slow end-to-end study of `skilldelta improve` on the fixture models: `npm run test:improve`.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export default defineConfig({
  root,
  test: {
    include: ['test/**/*.slow.ts'],
    setupFiles: ['src/matchers/index.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 900_000,
    // the study runs its own Vitest workers
    maxWorkers: 1,
    env: { SKILLDELTA_CACHE_DIR: path.join(os.tmpdir(), `skilldelta-improve-cache-${process.pid}`) },
  },
})
