import { createHash } from 'node:crypto'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { JUDGE_DIMENSIONS } from '../judge/subject.ts'
import { loadExecutionReport } from '../notebook/execute.ts'
import type { TrialRecord } from '../results/schema.ts'
import { plainText } from '../util/terminal.ts'
import { markdownTable } from './table.ts'

/**
 * A run's failures, grouped so a person — or the teacher of `skilldelta improve` — can see what goes
 * wrong and where: crashes by (exception, the TVB symbol involved, the failing line's operation);
 * objective checks that failed on notebooks that ran, with their measured numbers; judge reasons for
 * notebooks that ran but scored low; and notebooks that were never produced. Each cluster counts its
 * trials per model and condition, links example trials, and lists the skills offered and read in
 * them. Everything quoted here came from a notebook or a model: it is reduced to plain text.
 */

const CLUSTER_KINDS = ['exception', 'check', 'judge', 'generation'] as const
export type ClusterKind = (typeof CLUSTER_KINDS)[number]

const ExampleSchema = z
  .object({
    model: z.string(),
    condition: z.string(),
    goal: z.string(),
    sample: z.number().int(),
    /** The trial directory, relative to the project. */
    dir: z.string(),
    /** The error, the check's message or the judge's reason (first line, shortened). */
    detail: z.string(),
    /** The failing line of code (exceptions). */
    line: z.string().optional(),
    /** The check's measured numbers (checks). */
    measured: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

const ClusterSchema = z
  .object({
    /** Stable across runs: the kind and a hash of the title. */
    id: z.string(),
    kind: z.enum(CLUSTER_KINDS),
    title: z.string(),
    exception: z.string().optional(),
    symbol: z.string().optional(),
    operation: z.string().optional(),
    /** The check kind (checks) or the judge dimension scored lowest (judge). */
    check: z.string().optional(),
    dimension: z.string().optional(),
    trials: z.number().int(),
    goals: z.array(z.string()),
    counts: z.array(z.object({ model: z.string(), condition: z.string(), trials: z.number().int() }).strict()),
    examples: z.array(ExampleSchema),
    /** Skills offered to, and read in, the cluster's trials: name → trials. */
    skills: z.object({ offered: z.record(z.string(), z.number()), read: z.record(z.string(), z.number()) }).strict(),
  })
  .strict()
export type FailureCluster = z.infer<typeof ClusterSchema>

export const FailuresSchema = z
  .object({
    schema: z.literal('skilldelta.failures/1'),
    runId: z.string(),
    /** Finished trials analysed. */
    trials: z.number().int(),
    /** Trials in at least one cluster. */
    failed: z.number().int(),
    /** Infrastructure errors: the harness or the provider failed, not the notebook (in no cluster). */
    infra: z.number().int(),
    unfinished: z.number().int(),
    /** Whether any trial of the run was judged. */
    judged: z.boolean(),
    clusters: z.array(ClusterSchema),
  })
  .strict()
export type Failures = z.infer<typeof FailuresSchema>

/** TVB's modules as `tvb.simulator.lab` exports them: `models.JansenRit` names a TVB symbol. */
const TVB_MODULES = [
  'connectivity',
  'coupling',
  'cortex',
  'equations',
  'integrators',
  'local_connectivity',
  'models',
  'monitors',
  'noise',
  'patterns',
  'projections',
  'region_mapping',
  'sensors',
  'simulator',
  'surfaces',
  'time_series',
]
const TVB_NAME = new RegExp(String.raw`\b(?:${TVB_MODULES.join('|')})\.[A-Za-z_]\w*`)

/** One line of untrusted text, plain and short. */
const oneLine = (text: string, max = 200): string => {
  const line =
    plainText(text)
      .split('\n')
      .find((l) => l.trim()) ?? ''
  const trimmed = line.trim()
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed
}

/** A message as a template: numbers and quoted names masked, so the same failure on other goals groups with it. */
const template = (text: string): string =>
  oneLine(text, 160)
    .replace(/`[^`]*`/g, '`…`')
    .replace(/'[^']*'/g, "'…'")
    .replace(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, '#')

/**
 * The TVB symbol a failure involves: a `module.Name` on the failing line, else what the error names
 * (`'JansenRit' object has no attribute 'alpha'` → JansenRit.alpha; an unexpected keyword → the
 * class called on the line with that keyword), else the first class called on the line.
 */
export function symbolOf(line: string, evalue: string): string {
  const onLine = TVB_NAME.exec(line)?.[0]
  const attribute = /'(\w+)' object has no attribute '(\w+)'/.exec(evalue)
  if (attribute) return `${attribute[1]}.${attribute[2]}`
  // Python's message, and TVB's (HasTraits: "Valid kwargs for type … You have given: 'slope'")
  const keyword = /unexpected keyword argument '(\w+)'|You have given: '(\w+)'/.exec(evalue)
  if (keyword) return `${onLine ?? /\b([A-Z]\w*)\s*\(/.exec(line)?.[1] ?? '?'}(${keyword[1] ?? keyword[2]}=…)`
  if (onLine) return onLine
  const module = /No module named '([\w.]+)'|cannot import name '(\w+)'/.exec(evalue)
  if (module) return module[1] ?? module[2]!
  const noAttribute = /has no attribute '(\w+)'/.exec(evalue)
  if (noAttribute) return `.${noAttribute[1]}`
  return /\b([A-Z]\w*)\s*\(/.exec(line)?.[1] ?? '—'
}

/** What the failing line does: `import`, the outermost call, an attribute assignment, or a statement. */
export function operationOf(line: string): string {
  const code = line.trim()
  if (/^(?:from\s+\S+\s+)?import\b/.test(code)) return 'import'
  const call = /([A-Za-z_][\w.]*)\s*\(/.exec(code)?.[1]
  if (call) return `${call}()`
  const assigned = /^([A-Za-z_][\w.]*\.\w+)\s*=/.exec(code)?.[1]
  if (assigned) return `set ${assigned}`
  return code ? 'statement' : '—'
}

/** The source line that raised, from the notebook the harness wrote (cell index and line from the runner). */
async function failingLine(trialDir: string, record: TrialRecord): Promise<string> {
  const report = await loadExecutionReport(trialDir)
  const cell = record.execution?.firstError?.cell ?? report?.firstError?.cell
  if (cell === undefined || cell === null || !report) return ''
  // the notebook's own line: IPython's last "Cell In[n], line L" frame (the runner's errorLine may
  // point into TVB's source, where the exception was raised)
  const frames = [...(report.firstError?.traceback ?? []).join('\n').matchAll(/Cell In\[\d+\], line (\d+)/g)]
  const line = frames.length ? Number(frames.at(-1)![1]) : report.cells.find((c) => c.index === cell)?.errorLine
  try {
    const notebook = JSON.parse(
      await readFile(path.join(trialDir, record.artifacts.notebook ?? 'workflow.ipynb'), 'utf8'),
    )
    const source = notebook?.cells?.[cell]?.source
    const text = Array.isArray(source) ? source.join('') : String(source ?? '')
    const lines = text.split('\n')
    const chosen = (line ? lines[line - 1] : undefined) ?? lines.findLast((l: string) => l.trim())
    return oneLine(chosen ?? '', 160)
  } catch {
    return ''
  }
}

interface Entry {
  kind: ClusterKind
  title: string
  parts: Pick<FailureCluster, 'exception' | 'symbol' | 'operation' | 'check' | 'dimension'>
  example: Omit<z.infer<typeof ExampleSchema>, 'model' | 'condition' | 'goal' | 'sample' | 'dir'>
}

/** The clusters one trial belongs to (none for a trial that passed everything). */
async function entriesOf(record: TrialRecord, trialDir: string): Promise<Entry[]> {
  if (record.status === 'generation_failed') {
    const reason = record.error ?? 'no notebook was produced'
    return [
      {
        kind: 'generation',
        title: `no notebook: ${template(reason)}`,
        parts: {},
        example: { detail: oneLine(reason) },
      },
    ]
  }
  if (record.status === 'execution_failed') {
    const error = record.execution?.firstError
    const exception = error ? error.ename.replace(/[^\w.]/g, '_').slice(0, 80) : (record.execution?.status ?? 'failed')
    const line = error ? await failingLine(trialDir, record) : ''
    const symbol = symbolOf(line, error?.evalue ?? '')
    const operation = operationOf(line)
    return [
      {
        kind: 'exception',
        title: `${exception} · ${symbol} · ${operation}`,
        parts: { exception, symbol, operation },
        example: {
          detail: oneLine(error ? `${error.ename}: ${error.evalue}` : (record.error ?? exception)),
          ...(line ? { line } : {}),
        },
      },
    ]
  }
  if (record.status !== 'ok') return []
  const entries: Entry[] = []
  for (const [id, check] of Object.entries(record.checks)) {
    const objective = check.objective ?? id !== 'judge_score'
    if (!objective || check.status !== 'fail') continue
    const kind = check.kind ?? id.replace(/\[\d+\]$/, '')
    entries.push({
      kind: 'check',
      title: `${kind}: ${template(check.message ?? 'failed')}`,
      parts: { check: kind },
      example: { detail: oneLine(check.message ?? 'failed'), ...(check.measured ? { measured: check.measured } : {}) },
    })
  }
  const judge = record.judge
  if (judge?.status === 'ok' && record.checks.judge_score?.status === 'fail' && judge.scores) {
    const scores = judge.scores
    const lowest = [...JUDGE_DIMENSIONS].sort((a, b) => (scores[a] ?? 5) - (scores[b] ?? 5))[0]!
    entries.push({
      kind: 'judge',
      title: `judge: ${lowest} scored low`,
      parts: { dimension: lowest },
      example: { detail: `${lowest} ${scores[lowest]}/5: ${oneLine(judge.reasons?.[lowest] ?? '')}` },
    })
  }
  return entries
}

interface AnalyzeOptions {
  runId: string
  /** The project root: records name their trial directories relative to it. */
  root: string
  unfinished?: number
  /** Example trials kept per cluster. */
  examples?: number
}

const tally = (counts: Record<string, number>, names: string[]) => {
  for (const name of new Set(names)) counts[name] = (counts[name] ?? 0) + 1
}

/** Group a run's finished records into failure clusters, largest first. */
export async function analyzeFailures(records: TrialRecord[], options: AnalyzeOptions): Promise<Failures> {
  const keep = options.examples ?? 3
  const clusters = new Map<string, FailureCluster>()
  const failed = new Set<TrialRecord>()
  // goals in order, so the examples (and the cluster order on ties) do not depend on finishing order
  const ordered = [...records].sort(
    (a, b) =>
      a.goal.id.localeCompare(b.goal.id) ||
      a.model.name.localeCompare(b.model.name) ||
      a.condition.localeCompare(b.condition) ||
      a.sample - b.sample,
  )
  for (const record of ordered) {
    const dir = record.artifacts.dir ?? ''
    for (const entry of await entriesOf(record, path.resolve(options.root, dir))) {
      failed.add(record)
      const id = `${entry.kind}-${createHash('sha256').update(entry.title).digest('hex').slice(0, 8)}`
      let cluster = clusters.get(id)
      if (!cluster) {
        cluster = {
          id,
          kind: entry.kind,
          title: entry.title,
          ...entry.parts,
          trials: 0,
          goals: [],
          counts: [],
          examples: [],
          skills: { offered: {}, read: {} },
        }
        clusters.set(id, cluster)
      }
      cluster.trials += 1
      if (!cluster.goals.includes(record.goal.id)) cluster.goals.push(record.goal.id)
      const count = cluster.counts.find((c) => c.model === record.model.name && c.condition === record.condition)
      if (count) count.trials += 1
      else cluster.counts.push({ model: record.model.name, condition: record.condition, trials: 1 })
      // one example per goal first: a cluster's examples should show its spread
      const seenGoal = cluster.examples.some((e) => e.goal === record.goal.id)
      if (cluster.examples.length < keep && !seenGoal)
        cluster.examples.push({
          model: record.model.name,
          condition: record.condition,
          goal: record.goal.id,
          sample: record.sample,
          dir,
          ...entry.example,
        })
      tally(cluster.skills.offered, record.prompt?.skills.map((s) => s.name) ?? [])
      tally(cluster.skills.read, record.loop?.skillsRead ?? [])
    }
  }
  const sorted = [...clusters.values()].sort((a, b) => b.trials - a.trials || a.title.localeCompare(b.title))
  return FailuresSchema.parse({
    schema: 'skilldelta.failures/1',
    runId: options.runId,
    trials: records.length,
    failed: failed.size,
    infra: records.filter((r) => r.status === 'infra_error').length,
    unfinished: options.unfinished ?? 0,
    judged: records.some((r) => r.judge !== undefined),
    clusters: sorted,
  })
}

/** Untrusted text inside a Markdown code span: no backticks, no line breaks. */
const code = (text: string): string => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``
const cell = (text: string): string => text.replace(/\|/g, '\\|')
const listed = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} (${n})`)
    .join(', ') || '—'

/** failures.md: the clusters as a table, then each with its counts, skills and example trials. */
export function formatFailuresMarkdown(failures: Failures, runDir: string, root: string): string {
  const { clusters } = failures
  const lines = [
    `# Failure analysis: run ${failures.runId}`,
    '',
    `${failures.trials} trials: ${failures.failed} failed, in ${clusters.length} cluster(s); ` +
      `${failures.infra} infrastructure error(s) (the harness or the provider, not the notebook: in no cluster)` +
      (failures.unfinished ? `; ${failures.unfinished} unfinished` : '') +
      (failures.judged ? '.' : '. No judge graded this run: there are no judge clusters.'),
    '',
  ]
  if (clusters.length === 0) return [...lines, 'No failures.'].join('\n')
  lines.push(
    markdownTable([
      ['#', 'Cluster', 'Kind', 'Trials', 'Goals', 'By model · condition'],
      ...clusters.map((c, i) => [
        String(i + 1),
        cell(c.title),
        c.kind,
        String(c.trials),
        String(c.goals.length),
        c.counts.map((n) => `${n.model} · ${n.condition}: ${n.trials}`).join('; '),
      ]),
    ]),
  )
  clusters.forEach((c, i) => {
    lines.push('', `## ${i + 1}. ${c.title}`, '')
    lines.push(`- kind: ${c.kind}; ${c.trials} trial(s) in ${c.goals.length} goal(s): ${c.goals.join(', ')}`)
    lines.push(`- skills offered: ${listed(c.skills.offered)}; read: ${listed(c.skills.read)}`)
    lines.push('- examples:')
    for (const e of c.examples) {
      const link = path.relative(runDir, path.resolve(root, e.dir)).split(path.sep).join('/')
      const numbers = e.measured && Object.fromEntries(Object.entries(e.measured).filter(([k]) => k !== 'reasons'))
      const measured = numbers ? ` — measured ${code(JSON.stringify(numbers))}` : ''
      const where = `${e.model} / ${e.condition} / ${e.goal} / sample ${e.sample}`
      lines.push(`  - [${where}](${link}/): ${e.line ? `${code(e.line)} → ` : ''}${code(e.detail)}${measured}`)
    }
  })
  return lines.join('\n')
}

/** Write failures.json (schema'd) and failures.md into the run's directory. */
export async function writeFailures(runDir: string, failures: Failures, root: string): Promise<void> {
  await mkdir(runDir, { recursive: true })
  await writeFile(path.join(runDir, 'failures.json'), `${JSON.stringify(FailuresSchema.parse(failures), null, 2)}\n`)
  await writeFile(path.join(runDir, 'failures.md'), `${formatFailuresMarkdown(failures, runDir, root)}\n`)
}

export async function readFailures(file: string): Promise<Failures> {
  return FailuresSchema.parse(JSON.parse(await readFile(file, 'utf8')))
}
