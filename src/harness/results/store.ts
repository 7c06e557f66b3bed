import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { TrialRecordSchema, TrialViewSchema, type TrialRecord, type TrialView } from './schema.ts'
import { BatchDecoder, CODEC_VERSION, encodeView, ValueTable } from './view-codec.ts'

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
export const trialKey = (r: Pick<TrialView, 'runId' | 'model' | 'condition' | 'goal' | 'sample'>): string =>
  `${r.runId}\u0000${r.model.name}\u0000${r.condition}\u0000${r.goal.id}\u0000${r.sample}`

/** Lines written before stages existed were appended only when the trial had finished. */
const isFinished = (record: Pick<TrialView, 'stage' | 'status'>): boolean =>
  record.stage === undefined ? record.status !== 'pending' : record.stage === 'finished'

export interface RunRecords<T extends TrialView = TrialRecord> {
  /** Finished trials, in the order they finished. */
  records: T[]
  /** Trials that started and never finished (a killed run, a crashed worker). */
  unfinished: T[]
  /** Lines that could not be read (a torn last line after power loss, or a foreign line). */
  skipped: number
}

/** The complete lines of a file from byte `start` on, as it streams in, each with the offset just past it. */
async function* lines(file: string, start = 0): AsyncGenerator<{ line: string; end: number }> {
  let rest: Buffer = Buffer.alloc(0)
  let offset = start // of rest's first byte
  for await (const chunk of createReadStream(file, { start, highWaterMark: 1 << 20 })) {
    const buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer)
    let from = 0
    for (let at = buffer.indexOf(10, from); at >= 0; at = buffer.indexOf(10, from)) {
      yield { line: buffer.toString('utf8', from, at), end: offset + at + 1 }
      from = at + 1
    }
    rest = buffer.subarray(from)
    offset += from
  }
  // a last line without its newline: a torn write, or one still being written
  if (rest.length) yield { line: rest.toString('utf8'), end: -1 }
}

/** The latest line per trial; finished and unfinished apart. */
class Latest<T extends TrialView> {
  private readonly latest = new Map<string, T>()
  skipped = 0

  add(parsed: T | undefined): void {
    if (!parsed) this.skipped += 1
    else {
      const key = trialKey(parsed)
      const known = this.latest.get(key)
      // a finished line is never replaced by a later "planned" line of the same trial (a resumed shard)
      if (known && isFinished(known) && !isFinished(parsed)) return
      this.latest.delete(key) // re-insert: map order is finishing order
      this.latest.set(key, parsed)
    }
  }

  /** The latest line of each trial, in the order of those lines. */
  all(): T[] {
    return [...this.latest.values()]
  }

  result(): RunRecords<T> {
    const all = this.all()
    return { records: all.filter(isFinished), unfinished: all.filter((r) => !isFinished(r)), skipped: this.skipped }
  }
}

/**
 * The latest line per trial, from one or more records.jsonl files (later files win ties), each
 * line validated by `schema` as it is read: the full record, or a view of it.
 */
async function readLatest<T extends TrialView>(files: string[], schema: z.ZodType<T>): Promise<RunRecords<T>> {
  const latest = new Latest<T>()
  for (const file of files) {
    if (!existsSync(file)) continue // a run without records (nothing finished yet), or a shard that produced none
    for await (const { line } of lines(file)) if (line.trim()) latest.add(parseLine(line, schema))
  }
  return latest.result()
}

function parseLine<T>(line: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(line))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Whole records, latest line per trial (what a merge writes back). */
export const readRecordFiles = (files: string[]): Promise<RunRecords> => readLatest(files, TrialRecordSchema)

/** Every trial of a run, whole. */
export function readRun(resultsDir: string, runId: string): Promise<RunRecords> {
  return readRecordFiles([recordsFile(resultsDir, runId)])
}

/**
 * Reports' index of a run, next to its records.jsonl: the TrialView of every complete line read so far
 * (records.view.jsonl: batches, each a line of the values its views share, then a line of a few
 * numbers per trial; see view-codec.ts) and how far it goes (records.view.json). A report
 * reads the index and parses only the lines appended since, so a run of 100 000 trials is read in a
 * fraction of the time its records take to parse. The index is a cache of records.jsonl, never a
 * source: it is used only while it describes the same file (device, inode — a merge renames a new file
 * in), no more bytes than the file has, its own size as last written (a reader that died half-way, or two
 * that raced, leave another size) and the same TrialView shape; otherwise it is rebuilt from records.jsonl.
 */
const VIEW_FILE = 'records.view.jsonl'
const VIEW_STATE = 'records.view.json'

const ViewStateSchema = z.object({
  schema: z.literal('skilldelta.records-view/1'),
  /** The TrialView schema the lines were made with. */
  shape: z.string(),
  dev: z.number(),
  ino: z.number(),
  /** The bytes of records.jsonl indexed: complete lines only. */
  bytes: z.number().int().min(0),
  viewBytes: z.number().int().min(0),
  /** Lines of those bytes that could not be read. */
  skipped: z.number().int().min(0),
})
type ViewState = z.infer<typeof ViewStateSchema>

let shape: string | undefined
const viewShape = (): string =>
  (shape ??= createHash('sha256')
    .update(JSON.stringify({ view: z.toJSONSchema(TrialViewSchema), codec: CODEC_VERSION }))
    .digest('hex'))

async function readViewState(file: string): Promise<ViewState | undefined> {
  try {
    const parsed = ViewStateSchema.safeParse(JSON.parse(await readFile(file, 'utf8')))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/**
 * Bring a run's index up to date with its records.jsonl (parse the lines appended since, add their
 * views) and return where it is; undefined when the run has no records or the index cannot be written
 * (a read-only results directory is then read from records.jsonl alone).
 */
export async function indexRun(
  resultsDir: string,
  runId: string,
): Promise<{ state: ViewState; viewFile: string } | undefined> {
  const file = recordsFile(resultsDir, runId)
  const stat = await fileStat(file)
  if (!stat) return undefined
  const viewFile = path.join(path.dirname(file), VIEW_FILE)
  const stateFile = path.join(path.dirname(file), VIEW_STATE)
  const known = await readViewState(stateFile)
  const usable =
    known !== undefined &&
    known.shape === viewShape() &&
    known.dev === stat.dev &&
    known.ino === stat.ino &&
    known.bytes <= stat.size &&
    known.viewBytes === (await fileStat(viewFile))?.size
  const state: ViewState = usable
    ? { ...known }
    : { schema: 'skilldelta.records-view/1', shape: viewShape(), dev: stat.dev, ino: stat.ino, ...EMPTY }
  if (usable && state.bytes === stat.size) return { state, viewFile }
  // the new lines' views, only the one that counts per trial (a finished line makes its planned line moot)
  const fresh = new Latest<TrialView>()
  for await (const { line, end } of lines(file, state.bytes)) {
    if (end < 0) break // not complete yet: read by the report, indexed once it is
    state.bytes = end
    if (line.trim()) fresh.add(parseLine(line, TrialViewSchema))
  }
  state.skipped += fresh.skipped
  const table = new ValueTable()
  const views = fresh.all().map((view) => `${JSON.stringify(encodeView(view, table))}\n`)
  try {
    const handle = await open(viewFile, usable ? 'a' : 'w')
    try {
      if (views.length) await handle.write(`${JSON.stringify({ values: table.values })}\n${views.join('')}`)
      state.viewBytes = (await handle.stat()).size
    } finally {
      await handle.close()
    }
    const tmp = `${stateFile}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(state))
    await rename(tmp, stateFile)
    return { state, viewFile }
  } catch {
    return undefined
  }
}

const EMPTY = { bytes: 0, viewBytes: 0, skipped: 0 }

async function fileStat(file: string): Promise<{ dev: number; ino: number; size: number } | undefined> {
  try {
    return await stat(file)
  } catch {
    return undefined
  }
}

/**
 * Every trial of a run as reports read it (TrialView), through the run's index (see indexRun): what
 * every report, the gate and `skilldelta run`'s summary use.
 */
export async function readRunView(resultsDir: string, runId: string): Promise<RunRecords<TrialView>> {
  const index = await indexRun(resultsDir, runId)
  if (!index) return readLatest([recordsFile(resultsDir, runId)], TrialViewSchema)
  const latest = new Latest<TrialView>()
  // the index holds views zod validated as it wrote them, in a file that matched its state (identity,
  // size, shape) a moment ago: decoding is the whole cost of a line
  let batch: BatchDecoder | undefined
  for await (const { line } of lines(index.viewFile)) {
    if (line.startsWith('{')) {
      const values = parseLine(line, BatchSchema)?.values
      batch = values && new BatchDecoder(values)
    } else if (line) latest.add(batch && decodeLine(line, batch))
  }
  latest.skipped += index.state.skipped
  // a last line still being written (or torn) is read as it is, not indexed
  for await (const { line } of lines(recordsFile(resultsDir, runId), index.state.bytes))
    if (line.trim()) latest.add(parseLine(line, TrialViewSchema))
  return latest.result()
}

/** The line that starts a batch of the index: the values its views refer to. */
const BatchSchema = z.object({ values: z.array(z.unknown()) })

function decodeLine(line: string, batch: BatchDecoder): TrialView | undefined {
  try {
    return batch.decode(JSON.parse(line))
  } catch {
    return undefined
  }
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
