import path from 'node:path'
import { PACKAGE_ROOT } from '../config/paths.ts'
import type { RunSettings } from '../config/settings.ts'

export const ORACLES_PROJECT = 'oracles'
export const ORACLES_DIR = path.join(PACKAGE_ROOT, 'src/harness/oracles')

/** What the oracle bench's config hands its module. */
export interface OraclePlan {
  settings: RunSettings
  /** all: every oracle and control; fast: one control per check kind and the oracles of their goals. */
  mode: 'all' | 'fast'
}

/**
 * The bench's trials keep their records apart (results/oracles/<run id>/), out of the study's
 * tables, and never come from the cache: the point is to run every notebook on the pinned TVB.
 */
export function oraclePlan(run: RunSettings, mode: OraclePlan['mode']): OraclePlan {
  return {
    mode,
    settings: { ...run, resultsDir: oracleResultsDir(run.resultsDir), cache: { ...run.cache, mode: 'off' } },
  }
}

export const oracleResultsDir = (resultsDir: string): string => path.join(resultsDir, 'oracles')

/** One notebook of the bench, as its test reports it (the table's row). */
export interface NotebookRow {
  goal: string
  tier: string
  notebook: string
  role: 'oracle' | 'control'
  /** The notebook's execution wall time. */
  seconds: number
  status: string
  checks: { id: string; kind: string; name: string; status: string; expected: 'pass' | 'fail' | 'any' }[]
}

declare module 'vitest' {
  interface ProvidedContext {
    'skilldelta:oracles': OraclePlan
  }
}

declare module '@vitest/runner' {
  interface TaskMeta {
    oracle?: NotebookRow
  }
}

export {}
