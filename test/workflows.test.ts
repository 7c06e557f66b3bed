import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from './helpers.ts'

const ACTIONLINT = path.join(ROOT, '.cache/tools/bin/actionlint')
const workflows = path.join(ROOT, '.github/workflows')
const files = readdirSync(workflows).filter((f) => f.endsWith('.yml'))

describe('GitHub Actions workflows', () => {
  // setup --lint-tools builds actionlint when Go is available; CI must lint, never skip
  test.runIf(existsSync(ACTIONLINT) || process.env.CI)('pass actionlint', async () => {
    const result = await execa(ACTIONLINT, ['-no-color', ...files.map((f) => path.join(workflows, f))], {
      reject: false,
    })
    expect(result.stdout + result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
  })

  test('the skill-PR gate runs on skill and benchmark changes, and never gives secrets to forks', () => {
    const gate = parse(readFileSync(path.join(workflows, 'skill-gate.yml'), 'utf8')) as {
      on: { pull_request: { paths: string[] } }
      permissions: Record<string, string>
      jobs: Record<
        string,
        {
          if?: string
          needs?: string
          permissions?: Record<string, string>
          steps: { env?: Record<string, string>; run?: string }[]
        }
      >
    }
    expect(gate.on.pull_request.paths).toEqual(['skills/**', 'benchmarks/**'])
    expect(gate.permissions).toEqual({ contents: 'read' })
    expect(gate.jobs.evaluate?.if).toBe("needs.trust.outputs.trusted == 'true'")
    const usesSecrets = Object.entries(gate.jobs)
      .filter(([, job]) => JSON.stringify(job).includes('secrets.'))
      .map(([name]) => name)
    expect(usesSecrets).toEqual(['evaluate']) // only the fork-guarded job sees API keys
    expect(gate.jobs.report?.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' })
    // untrusted pull-request fields reach shell steps only through env, never interpolated into scripts
    for (const job of Object.values(gate.jobs))
      for (const step of job.steps) expect(step.run ?? '').not.toMatch(/\$\{\{\s*github\.event/)
    expect(JSON.stringify(gate.jobs.report)).toContain('skilldelta gate --run')
    // shards are merged by skilldelta (latest record per trial), not concatenated by the shell
    const merging = gate.jobs.report?.steps.map((s) => s.run ?? '').join('\n') ?? ''
    expect(merging).toMatch(
      /npx skilldelta merge --run "\$SKILLDELTA_RUN_ID" shard-\*\/\n\s*npx vitest --merge-reports/,
    )
    expect(merging).not.toMatch(/\bcat .*records/)
  })
})
