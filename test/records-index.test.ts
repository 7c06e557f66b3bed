import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { buildReport } from '../src/harness/report/ablation.ts'
import { baselineFrom } from '../src/harness/report/gate.ts'
import { summariseRecords } from '../src/harness/report/summary.ts'
import { TrialViewSchema, type TrialRecord } from '../src/harness/results/schema.ts'
import {
  appendRecord,
  indexRun,
  mergeRecordFiles,
  readRun,
  readRunView,
  recordsFile,
  trialKey,
} from '../src/harness/results/store.ts'
import { tempDir } from './helpers.ts'
import { syntheticTrials, writeSyntheticRun } from './synthetic-records.ts'

// Reports read a run through its index (records.view.jsonl): it must always say what records.jsonl says.

const dir = tempDir('sd-records-index-')
const study = { goals: 12, models: 3, conditions: ['zero_shot', 'with_skills', 'skills_on_demand'], samples: 2 }

/** What reports see of a run read whole: the same trials, as views, in the same order. */
async function wholeAsViews(results: string, runId: string) {
  const whole = await readRun(results, runId)
  const view = (r: TrialRecord) => TrialViewSchema.parse(r)
  return { records: whole.records.map(view), unfinished: whole.unfinished.map(view), skipped: whole.skipped }
}

const indexFile = (results: string, runId: string) => path.join(results, runId, 'records.view.jsonl')

describe("a run's index", () => {
  test('reading through the index gives the records, the reports and the gate the whole read gives', async () => {
    const results = path.join(dir, 'same')
    await writeSyntheticRun(results, { ...study, judge: true, unfinished: 3, runId: 'run' })
    const expected = await wholeAsViews(results, 'run')
    expect(expected.unfinished).toHaveLength(3)

    const first = await readRunView(results, 'run') // builds the index
    const second = await readRunView(results, 'run') // reads it
    expect(statSync(indexFile(results, 'run')).size).toBeGreaterThan(0)
    expect(first).toEqual(expected)
    expect(second).toEqual(expected)
    // the index keeps one line per trial (after its batch's line of shared values): a finished line
    // makes its "planned" line moot
    const indexLines = readFileSync(indexFile(results, 'run'), 'utf8').trim().split('\n')
    expect(indexLines.filter((line) => line.startsWith('['))).toHaveLength(12 * 3 * 3 * 2)
    expect(indexLines.filter((line) => line.startsWith('{"values":'))).toHaveLength(1)

    const whole = await readRun(results, 'run')
    const report = (records: typeof second) => buildReport(records.records, { unfinished: records.unfinished })
    expect(report(second)).toEqual(buildReport(whole.records, { unfinished: whole.unfinished }))
    const { createdAt: _a, ...fromView } = baselineFrom(second.records, 'run')
    const { createdAt: _b, ...fromWhole } = baselineFrom(whole.records, 'run')
    expect(fromView).toEqual(fromWhole)
    expect(summariseRecords(second.records, second.unfinished)).toEqual(
      summariseRecords(whole.records, whole.unfinished),
    )
  })

  test('lines appended after the index was made are read, and indexed once complete', async () => {
    const results = path.join(dir, 'appended')
    const trials = [...syntheticTrials({ ...study, runId: 'run' })]
    for (const trial of trials.slice(0, 20)) await appendRecord(results, trial)
    expect((await readRunView(results, 'run')).records).toHaveLength(20)

    // a trial finishes again (a later line replaces the earlier one), others are new
    const changed: TrialRecord = { ...trials[3]!, status: 'execution_failed' }
    for (const trial of [...trials.slice(20, 30), changed]) await appendRecord(results, trial)
    // a line still being written is read as a torn line, not indexed
    const torn = '{"schema":"skilldelta.trial/1","runId":"run","goal":{"id"'
    appendFileSync(recordsFile(results, 'run'), torn)
    const read = await readRunView(results, 'run')
    expect(read).toEqual(await wholeAsViews(results, 'run'))
    expect(read.records).toHaveLength(30)
    expect(read.skipped).toBe(1)
    expect(read.records.find((r) => trialKey(r) === trialKey(changed))?.status).toBe('execution_failed')
    const indexed = (await indexRun(results, 'run'))!.state.bytes
    expect(indexed).toBe(statSync(recordsFile(results, 'run')).size - torn.length)

    // the write completes: the line is the trial's now
    truncateSync(recordsFile(results, 'run'), indexed)
    await appendRecord(results, trials[30]!)
    expect(await readRunView(results, 'run')).toEqual(await wholeAsViews(results, 'run'))
    expect((await readRunView(results, 'run')).records).toHaveLength(31)
  })

  test('an index that does not describe records.jsonl is rebuilt: a merge, a rewrite, a half-written index', async () => {
    const results = path.join(dir, 'stale')
    await writeSyntheticRun(results, { ...study, runId: 'run' })
    await readRunView(results, 'run')

    // a merge renames a new records.jsonl into place (another file): the old index is not used
    const shard = path.join(dir, 'shard')
    await writeSyntheticRun(shard, { ...study, goals: 20, runId: 'run', seed: 99 }) // larger than the first
    await mergeRecordFiles([recordsFile(shard, 'run')], recordsFile(results, 'run'))
    expect(await readRunView(results, 'run')).toEqual(await wholeAsViews(results, 'run'))
    expect((await readRunView(results, 'run')).records).toHaveLength(20 * 3 * 3 * 2)

    // records.jsonl rewritten in place, shorter than what was indexed
    const lines = readFileSync(recordsFile(results, 'run'), 'utf8').split('\n')
    writeFileSync(recordsFile(results, 'run'), `${lines.slice(0, 10).join('\n')}\n`)
    expect(await readRunView(results, 'run')).toEqual(await wholeAsViews(results, 'run'))
    expect((await readRunView(results, 'run')).records).toHaveLength(10)

    // an index cut short (a reader killed while writing it)
    const index = indexFile(results, 'run')
    truncateSync(index, Math.floor(statSync(index).size / 2))
    expect(await readRunView(results, 'run')).toEqual(await wholeAsViews(results, 'run'))
  })
})
