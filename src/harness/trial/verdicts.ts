import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { CheckInstance, CheckKind, Verdict } from '../checks/types.ts'
import { PACKAGE_ROOT } from '../config/paths.ts'
import type { RunSettings } from '../config/settings.ts'
import { restoreVerdict, storeVerdict, verdictKey } from '../store/cache.ts'

/**
 * Objective verdicts are reused when nothing they depend on changed: the trial's artifacts (the
 * executed notebook, its execution report and the probed series, by content) and the check's
 * definition (kind, parameters, and the harness code that measures: checks, analysis, the Python
 * side and its lock). A rerun restored from the trial cache then costs a few hashes per trial instead
 * of a Python process per spectrum. The judge's checks are never reused (the judge runs again).
 */

/** What a check's verdict depends on in the harness: every file of these, by content. */
const DEFINITION_SOURCES = ['src/harness/checks', 'src/harness/analysis', 'python/skilldelta_py']

let definition: string | undefined
function checkDefinition(): string {
  if (definition) return definition
  const sha = createHash('sha256')
  const add = (file: string) =>
    sha
      .update(`${path.relative(PACKAGE_ROOT, file)}\0`)
      .update(readFileSync(file))
      .update('\0')
  for (const dir of DEFINITION_SOURCES.map((d) => path.join(PACKAGE_ROOT, d))) {
    for (const name of readdirSync(dir).sort()) if (/\.(ts|py)$/.test(name)) add(path.join(dir, name))
  }
  add(path.join(PACKAGE_ROOT, 'python/requirements.lock'))
  return (definition = sha.digest('hex'))
}

/** The files of a trial that checks read, by content: computed before any check writes its own files. */
function artifactsHash(trialDir: string): string {
  const sha = createHash('sha256')
  const add = (file: string) => {
    if (existsSync(file))
      sha
        .update(`${path.relative(trialDir, file)}\0`)
        .update(readFileSync(file))
        .update('\0')
  }
  add(path.join(trialDir, 'execution.json'))
  add(path.join(trialDir, 'executed.ipynb'))
  const probe = path.join(trialDir, 'probe')
  if (existsSync(probe)) for (const name of readdirSync(probe).sort()) add(path.join(probe, name))
  return sha.digest('hex')
}

const StoredSchema = z.object({
  verdict: z.object({
    status: z.enum(['pass', 'fail', 'skip']),
    message: z.string(),
    measured: z.record(z.string(), z.unknown()),
    attachments: z.array(z.object({ title: z.string(), file: z.string(), contentType: z.string() })).optional(),
    actual: z.unknown().optional(),
    expected: z.unknown().optional(),
  }),
  files: z.array(z.string()),
})

/** The verdicts of one trial: reused when stored, stored when measured. */
export class VerdictCache {
  private artifacts: string | undefined

  constructor(
    private readonly cache: RunSettings['cache'],
    private readonly trialDir: string,
  ) {}

  /** Whether a check's verdict can come from the cache (objective, judge-free, cache on). */
  applies(kind: CheckKind<unknown>): boolean {
    return this.cache.mode !== 'off' && kind.objective && !kind.needs.includes('judge')
  }

  /** Hash the artifacts now, before any check runs (checks write their own files next to them). */
  start(): this {
    this.artifacts ??= artifactsHash(this.trialDir)
    return this
  }

  private key(instance: CheckInstance): string {
    return verdictKey({
      artifacts: this.start().artifacts!,
      check: { kind: instance.kind, params: instance.params },
      definition: checkDefinition(),
    })
  }

  async reuse(instance: CheckInstance): Promise<Verdict | undefined> {
    if (this.cache.mode !== 'on') return undefined
    const stored = await restoreVerdict<unknown>(this.cache.dir, this.key(instance), this.trialDir)
    const parsed = StoredSchema.safeParse(stored)
    if (!parsed.success) return undefined
    const { attachments, ...verdict } = parsed.data.verdict
    return {
      ...verdict,
      ...(attachments
        ? { attachments: attachments.map((a) => ({ ...a, file: path.join(this.trialDir, path.basename(a.file)) })) }
        : {}),
    } as Verdict
  }

  /**
   * Best effort: a cache that cannot be written costs the next run a measurement, nothing else. A
   * failure that measured nothing (the analysis could not run: a timeout, a crashed process) may be the
   * machine's fault, not the notebook's: it is measured again next time, as infrastructure errors are.
   */
  async store(instance: CheckInstance, verdict: Verdict): Promise<void> {
    const measuredNothing = Object.keys(verdict.measured).length === 0 || 'problem' in verdict.measured
    if (verdict.status !== 'pass' && measuredNothing) return
    // only files the check wrote into the trial directory travel with the verdict
    const attachments = verdict.attachments ?? []
    const inTrial = attachments.every(
      (a) => path.dirname(path.resolve(a.file)) === path.resolve(this.trialDir) && existsSync(a.file),
    )
    if (!inTrial) return
    const files = attachments.map((a) => path.basename(a.file))
    await storeVerdict(this.cache.dir, this.key(instance), { verdict, files }, this.trialDir).catch(() => undefined)
  }
}
