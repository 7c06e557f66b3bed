import { open, readFile } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { TrialRecordSchema, type TrialRecord } from '../trial/record.ts'

/**
 * The results store: one append-only JSONL file per run, `results/<run id>/records.jsonl`, one
 * complete trial record (with its checks) per line, appended and fsynced as each cell ends. Lines
 * are single O_APPEND writes, so workers appending at once never interleave; a killed run keeps
 * every line it finished. Other tools can read it with any JSONL reader.
 */
export const recordsFile = (resultsDir: string, runId: string): string => path.join(resultsDir, runId, 'records.jsonl')

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

/** Read a run's records; a torn last line (power loss mid-write) is skipped, not fatal. */
export async function readRecords(file: string): Promise<TrialRecord[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        const parsed = TrialRecordSchema.safeParse(JSON.parse(line))
        return parsed.success ? [parsed.data] : []
      } catch {
        return []
      }
    })
}
