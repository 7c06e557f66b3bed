import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { TrialRecordSchema, type TrialRecord } from './schema.ts'

/**
 * The results store: `results/<run id>/records.jsonl`, append-only. A trial appends a line when it
 * is planned and another when it is finished (each a single O_APPEND write, fsynced), so a killed
 * run keeps every finished trial and shows the ones it left unfinished. This module is the only
 * writer and the only reader: reports, the gate, calibration, the run summary and shard merges all
 * go through it.
 */

export const RECORDS_FILE = 'records.jsonl'
export const recordsFile = (resultsDir: string, runId: string): string => path.join(resultsDir, runId, RECORDS_FILE)

/** One line, appended and synced: concurrent workers never interleave, a crash never tears a finished line. */
export async function appendRecord(resultsDir: string, record: TrialRecord): Promise<void> {
  const file = recordsFile(resultsDir, record.runId)
  await mkdir(path.dirname(file), { recursive: true })
  const handle = await open(file, 'a')
  try {
    await handle.write(`${JSON.stringify(TrialRecordSchema.parse(record))}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** A trial's identity within a run: the same key on a later line replaces the earlier line. */
export const trialKey = (r: Pick<TrialRecord, 'runId' | 'model' | 'condition' | 'goal' | 'sample'>): string =>
  `${r.runId}\u0000${r.model.name}\u0000${r.condition}\u0000${r.goal.id}\u0000${r.sample}`

/** Lines written before stages existed were appended only when the trial had finished. */
const isFinished = (record: TrialRecord): boolean =>
  record.stage === undefined ? record.status !== 'pending' : record.stage === 'finished'

export interface RunRecords {
  /** Finished trials, in the order they finished. */
  records: TrialRecord[]
  /** Trials that started and never finished (a killed run, a crashed worker). */
  unfinished: TrialRecord[]
  /** Lines that could not be read (a torn last line after power loss, or a foreign line). */
  skipped: number
}

/** The latest line per trial, from one or more records.jsonl files; later files win ties. */
export async function readRecordFiles(files: string[]): Promise<RunRecords> {
  const latest = new Map<string, TrialRecord>()
  let skipped = 0
  for (const file of files) {
    let lines: AsyncIterable<string>
    try {
      const stream = createReadStream(file, { encoding: 'utf8' })
      await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject))
      lines = createInterface({ input: stream, crlfDelay: Infinity })
    } catch {
      continue // a run without records (nothing finished yet), or a shard that produced none
    }
    for await (const line of lines) {
      if (!line.trim()) continue
      const parsed = parseLine(line)
      if (!parsed) {
        skipped += 1
        continue
      }
      const key = trialKey(parsed)
      const known = latest.get(key)
      // a finished line is never replaced by a later "planned" line of the same trial (a resumed shard)
      if (known && isFinished(known) && !isFinished(parsed)) continue
      latest.delete(key) // re-insert: map order is finishing order
      latest.set(key, parsed)
    }
  }
  const all = [...latest.values()]
  return { records: all.filter(isFinished), unfinished: all.filter((r) => !isFinished(r)), skipped }
}

function parseLine(line: string): TrialRecord | undefined {
  try {
    const parsed = TrialRecordSchema.safeParse(JSON.parse(line))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Every trial of a run. */
export function readRun(resultsDir: string, runId: string): Promise<RunRecords> {
  return readRecordFiles([recordsFile(resultsDir, runId)])
}

/**
 * Merge sharded runs (each shard's records.jsonl, or directories holding results/<run id>/) into
 * one records.jsonl: the latest line per trial, finished lines first. Written to a temporary file
 * and renamed, so a reader never sees a half-merged run.
 */
export async function mergeRecordFiles(sources: string[], target: string): Promise<RunRecords> {
  const merged = await readRecordFiles(sources)
  await mkdir(path.dirname(target), { recursive: true })
  const tmp = `${target}.${process.pid}.tmp`
  await rm(tmp, { force: true })
  const handle = await open(tmp, 'w')
  try {
    for (const record of [...merged.records, ...merged.unfinished]) await handle.write(`${JSON.stringify(record)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, target)
  return merged
}
