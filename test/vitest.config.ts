import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The harness's own tests (unit + integration). The benchmark matrix has its own config: ../vitest.config.ts.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export default defineConfig({
  root,
  test: {
    include: ['test/**/*.test.ts'],
    // scratch projects and compiled goals the integration tests write
    exclude: ['test/.tmp/**', '**/node_modules/**'],
    setupFiles: ['src/matchers/index.ts'],
    // hang guards, not speed limits: integration tests run real kernels and must pass on a loaded machine
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // Executions are CPU-heavy (TVB, kernels); two workers on two cores keeps timings honest.
    maxWorkers: 2,
    // tests never read or fill the user's cache
    env: { SKILLDELTA_CACHE_DIR: path.join(os.tmpdir(), `skilldelta-test-cache-${process.pid}`) },
    benchmark: { include: ['test/**/*.bench.ts'] },
  },
})
