import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { JUDGE_DIMENSIONS } from '../src/harness/judge/subject.ts'
import { seededRandom } from '../src/harness/report/stats.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'

/**
 * A synthetic study as a real run writes it (`npm run bench:report`, and the tests that compare the
 * streaming reports with the record-at-a-time ones): goals × models × conditions × samples trials,
 * each with a "planned" line and, a few trials later, its finished line — statuses, objective checks
 * with measured numbers, skills offered, a judge's verdict — seeded, so every run writes the same file.
 */

export interface SyntheticStudy {
  goals: number
  models: number
  conditions: string[]
  samples: number
  /** Trials that are planned but never finished (a killed run). */
  unfinished?: number
  /** Give every trial that produced a notebook a judge verdict. */
  judge?: boolean
  runId?: string
  seed?: number
}

const MODEL_PARAMS = [135e6, 8e9, 14e9, 31e9, 1e12, 70e9, 3e9, 20e9]
const STATUSES: [TrialRecord['status'], number][] = [
  ['ok', 0.62],
  ['execution_failed', 0.18],
  ['generation_failed', 0.14],
  ['infra_error', 0.03],
  ['judge_error', 0.03],
]

/** The trials of the study in the order a run finishes them; `planned` gives the line written at the start. */
export function* syntheticTrials(study: SyntheticStudy): Generator<TrialRecord> {
  const random = seededRandom(study.seed ?? 7)
  const runId = study.runId ?? 'synthetic'
  const pick = (): TrialRecord['status'] => {
    let u = random()
    for (const [status, p] of STATUSES) if ((u -= p) < 0) return status
    return 'ok'
  }
  for (let m = 0; m < study.models; m++) {
    const params = MODEL_PARAMS[m % MODEL_PARAMS.length]!
    const model = { name: `model-${m}`, provider: 'openai', requested: `m${m}`, reported: `m${m}`, params }
    for (let g = 0; g < study.goals; g++) {
      const goalId = `tutorial/goal_${String(g).padStart(4, '0')}`
      const difficulty = random()
      for (const [c, condition] of study.conditions.entries()) {
        const skills = condition === 'with_skills' || condition === 'skills_on_demand'
        for (let sample = 0; sample < study.samples; sample++) {
          const status = pick()
          const produced = status !== 'generation_failed' && status !== 'infra_error'
          const pass = (bonus: number) => random() < Math.min(0.95, difficulty + 0.05 * m + bonus)
          const checks: TrialRecord['checks'] = {}
          if (produced) {
            const ran = status !== 'execution_failed'
            checks.executes = {
              kind: 'executes',
              objective: true,
              status: ran ? 'pass' : 'fail',
              measured: {
                status: ran ? 'ok' : 'error',
                isolated: true,
                wallMs: 4000 + 10 * g,
                cellsOk: 6,
                codeCells: 6,
              },
              at: '2026-01-01T00:00:00.000Z',
            }
            checks['psd_peak[0]'] = {
              kind: 'psd_peak',
              objective: true,
              status: ran && pass(skills ? 0.15 : 0) ? 'pass' : 'fail',
              measured: {
                signal: 'run[0] (TemporalAverage)',
                fsHz: 1000,
                peakHz: 8 + 4 * random(),
                resolutionHz: 0.89,
                bandPowerFraction: random(),
                regions: 76,
                std: { median: random(), min: 0.1, max: 0.3 },
              },
              at: '2026-01-01T00:00:00.000Z',
            }
            checks['signal[0]'] = {
              kind: 'signal',
              objective: true,
              status: ran && pass(0.1) ? 'pass' : 'fail',
              measured: { samples: 4000, regions: 76, periodMs: 1 },
              at: '2026-01-01T00:00:00.000Z',
            }
          }
          const judged = study.judge && produced
          if (study.judge)
            checks.judge_score = {
              kind: 'judge_score',
              objective: false,
              status: judged && status !== 'judge_error' && pass(0) ? 'pass' : produced ? 'fail' : 'skip',
              at: '2026-01-01T00:00:00.000Z',
            }
          const scores = Object.fromEntries(JUDGE_DIMENSIONS.map((d) => [d, 1 + Math.floor(random() * 5)]))
          const mean = Object.values(scores).reduce((a, b) => a + b, 0) / JUDGE_DIMENSIONS.length
          yield {
            schema: 'skilldelta.trial/1',
            runId,
            goal: { id: goalId, hash: 'a1b2c3d4e5f60718', file: `benchmarks/${goalId}.GOAL.md`, tier: 'tutorial' },
            model,
            condition,
            sample,
            status,
            stage: 'finished',
            ...(status === 'infra_error'
              ? { error: 'model "x": 503 Service Unavailable (gave up after 4 attempts)' }
              : {}),
            prompt: {
              hash: `p${m}${c}`,
              skills: skills
                ? ['tvb-simulator', 'tvb-psd-analysis'].map((name) => ({
                    name,
                    role: 'driver',
                    bytes: 4000,
                    tokens: 1000,
                    reason: 'keyword "power spectrum"',
                    score: 7.5,
                  }))
                : [],
              droppedSkills: [],
              skillBudgetTokens: 20000,
              ...(condition === 'skills_on_demand' ? { delivery: 'on-demand' as const } : {}),
            },
            ...(condition === 'skills_on_demand'
              ? {
                  loop: {
                    rounds: 2,
                    turns: 9,
                    stopReason: 'accepted',
                    skillsRead: random() < 0.7 ? ['tvb-simulator'] : [],
                  },
                }
              : {}),
            generation: {
              tokensIn: 3000,
              tokensOut: 900,
              latencyMs: 40_000 * random(),
              finishReason: 'stop',
              attempts: 1,
            },
            ...(produced
              ? {
                  execution: {
                    status: status === 'execution_failed' ? 'error' : 'ok',
                    isolated: true,
                    wallMs: 6000,
                    cellsRun: 6,
                    codeCells: 6,
                    firstError:
                      status === 'execution_failed' ? { cell: 3, ename: 'TraitTypeError', evalue: 'bad value' } : null,
                  },
                }
              : {}),
            cache: { mode: 'on', key: 'e720a87a83601cf3', trial: 'miss', call: 'miss' },
            ...(judged
              ? {
                  judge:
                    status === 'judge_error'
                      ? {
                          status: 'error' as const,
                          model: { name: 'judge', requested: 'j', reported: 'j' },
                          flags: [],
                          attempts: 3,
                          tokensIn: null,
                          tokensOut: null,
                          latencyMs: 9000,
                          cache: 'miss' as const,
                          error: { kind: 'invalid', message: 'the reply did not follow the schema' },
                        }
                      : {
                          status: 'ok' as const,
                          model: { name: 'judge', requested: 'j', reported: 'j' },
                          rubric: { hash: 'r', version: '3', factsVersion: '2' },
                          digest: { hash: 'd', chars: 12000, cells: 8, truncatedCells: 0 },
                          scores,
                          mean,
                          reasons: Object.fromEntries(JUDGE_DIMENSIONS.map((d) => [d, `the ${d} is as expected`])),
                          flags: [],
                          attempts: 1,
                          tokensIn: 6000,
                          tokensOut: 400,
                          latencyMs: 12000,
                          cache: 'miss' as const,
                        },
                }
              : {}),
            checks,
            artifacts: {
              dir: `results/${runId}/model-${m}/${condition}/${goalId}/sample-${sample}`,
              prompt: 'prompt.json',
              notebook: 'workflow.ipynb',
              executed: 'executed.ipynb',
              execution: 'execution.json',
            },
            startedAt: '2026-01-01T00:00:00.000Z',
            finishedAt: '2026-01-01T00:01:00.000Z',
          }
        }
      }
    }
  }
}

/** The line a trial appends when it is planned: identity only. */
function plannedLine(record: TrialRecord): TrialRecord {
  const { runId, goal, model, condition, sample, artifacts, startedAt } = record
  return {
    schema: 'skilldelta.trial/1',
    runId,
    goal,
    model: { ...model, reported: null },
    condition,
    sample,
    status: 'pending',
    stage: 'planned',
    checks: {},
    artifacts: { dir: artifacts.dir ?? '' },
    startedAt,
  }
}

/**
 * Write the study as `<resultsDir>/<runId>/records.jsonl`, interleaved as concurrent trials write it:
 * each trial's planned line, and its finished line a few trials later. Returns the number of trials.
 */
export async function writeSyntheticRun(resultsDir: string, study: SyntheticStudy): Promise<number> {
  const runId = study.runId ?? 'synthetic'
  const file = path.join(resultsDir, runId, 'records.jsonl')
  await mkdir(path.dirname(file), { recursive: true })
  const out = createWriteStream(file)
  const write = async (record: TrialRecord) => {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain')
  }
  const inFlight: TrialRecord[] = []
  let trials = 0
  for (const record of syntheticTrials(study)) {
    trials += 1
    await write(plannedLine(record))
    inFlight.push(record)
    if (inFlight.length > 8) await write(inFlight.shift()!)
  }
  // the last `unfinished` trials never finish (the run was killed)
  const unfinished = Math.min(study.unfinished ?? 0, inFlight.length)
  for (const record of inFlight.slice(0, inFlight.length - unfinished)) await write(record)
  out.end()
  await once(out, 'finish')
  return trials
}
