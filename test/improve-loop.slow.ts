// The whole improvement loop on the fixture study (test/fixtures/improve), through the CLI and real
// Vitest runs: the A/A floor, the scripted teacher's seven proposals, screening, evaluation, holdout
// confirmation, the git branch, and a SIGKILL in the middle of an evaluation followed by a resume.
// It takes 10–20 minutes on two loaded cores: `npm run test:improve` (not part of `npm test`).
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { readLedger, TSV_COLUMNS, type Entry, type Row } from '../src/harness/improve/ledger.ts'
import { FailuresSchema } from '../src/harness/report/failures.ts'
import { readRun } from '../src/harness/results/store.ts'
import { goalMarks, STUDY_ARGS, writeStudyProject } from './fixtures/improve/project.ts'
import { ROOT, tempDir } from './helpers.ts'

const BIN = path.join(ROOT, 'bin/skilldelta.mjs')
const STUDY = 'fixture-study'

interface LogLine {
  model: string
  sample: number
  prompt: string
  asked: string
}

const readLog = (file: string): LogLine[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine)
    : []

const lines = (file: string): number =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('skilldelta improve on the fixture study', () => {
  const dir = path.join(ROOT, 'test/.tmp/improve-study')
  const log = path.join(tempDir('sd-improve-log-'), 'requests.jsonl')
  const env = { SKILLDELTA_FIXTURE_LOG: log, SKILLDELTA_CACHE_DIR: tempDir('sd-improve-cache-'), FORCE_COLOR: '0' }
  const results = path.join(dir, 'results')
  const study = path.join(results, STUDY)
  const improve = (options: { detached?: boolean } = {}) =>
    execa('node', [BIN, 'improve', ...STUDY_ARGS], { cwd: dir, env, reject: false, all: true, ...options })

  test('accepts only the helpful skill, refuses three at screening without a trial, resumes after SIGKILL', async () => {
    await writeStudyProject(dir)

    // first run: killed (the whole process group, Vitest workers too) in the middle of iteration 3's train evaluation
    const first = improve({ detached: true })
    let ended = false
    void first.then(() => (ended = true))
    const midway = path.join(results, `${STUDY}.i3.train`, 'records.jsonl')
    while (lines(midway) < 4 && !ended) await sleep(250)
    expect(ended, 'the study ended before it could be killed').toBe(false)
    process.kill(-first.pid!, 'SIGKILL')
    await first
    const before = readLog(log)
    const rowsBefore = (await readLedger(study)).filter((e): e is Row => e.kind === 'proposal')
    expect(rowsBefore.map((r) => r.iteration)).toEqual([1, 2])

    // the same command resumes
    const second = await improve()
    expect(second.exitCode, second.all).toBe(0)
    const entries: Entry[] = await readLedger(study)
    const rows = entries.filter((e): e is Row => e.kind === 'proposal')
    const decisions = Object.fromEntries(rows.map((r) => [r.skill, [r.decision, r.screen]]))
    expect(decisions).toEqual({
      'tvb-seconds': ['reverted', 'passed'],
      'bold-period-example': ['refused', 'refused (leak)'],
      'tvb-time-units': ['accepted', 'passed'],
      'grading-notes': ['refused', 'refused (security)'],
      'tvb-run-length': ['rejected', 'passed'],
      'figure-style': ['rejected', 'passed'],
      'tvb-monitor-periods': ['refused', expect.stringMatching(/^refused \((names|code)\)$/)],
    })
    // the narrow skill helped on train (above the A/A floor), not on the holdout
    const aa = entries.find((e): e is Row => e.kind === 'aa')!
    const floor = aa.floors['fixture-student']!
    expect(floor).toBeGreaterThan(0)
    const narrow = rows.find((r) => r.skill === 'tvb-seconds')!
    expect(narrow.train[0]!.lo!).toBeGreaterThan(0)
    expect(narrow.train[0]!.delta).toBeGreaterThan(floor)
    expect(narrow.holdout[0]!.lo ?? 0).toBeLessThanOrEqual(0)
    // the harmful skill regresses, the neutral one changes nothing
    expect(rows.find((r) => r.skill === 'tvb-run-length')!.train[0]!.hi!).toBeLessThan(0)
    expect(rows.find((r) => r.skill === 'figure-style')!.train[0]!.delta).toBe(0)
    expect(entries.find((e) => e.kind === 'stop')).toMatchObject({ reason: '4 consecutive rejections' })

    // zero student trials on the refused: no evaluation had their library as an arm, and every student
    // request belongs to a trial of an evaluated arm (one request per single-shot trial)
    const runs = [...new Set(entries.flatMap((e) => ('runs' in e ? e.runs : [])))]
    const records = (await Promise.all(runs.map((run) => readRun(results, run)))).flatMap((r) => r.records)
    const arms = new Set(records.map((r) => r.condition.replace(/^lib-([0-9a-f]{12}).*$/, '$1')))
    for (const refused of rows.filter((r) => r.decision === 'refused')) expect(arms).not.toContain(refused.candidate)
    const cells = new Set(
      records.map((r) => `${r.condition.replace(/^(lib-[0-9a-f]{12}).*$/, '$1')} ${r.goal.id} ${r.sample}`),
    )
    const after = readLog(log)
    const student = after.filter((l) => l.model === 'skilldelta/student')
    const asked = new Set(student.map((l) => `${l.prompt} ${l.sample}`))
    expect(asked.size).toBe(cells.size)

    // the resume re-spent no finished trial: only the (at most two) trials in flight at the kill are asked again
    const earlier = new Set(
      before.filter((l) => l.model === 'skilldelta/student').map((l) => `${l.prompt} ${l.sample}`),
    )
    const repeated = after
      .slice(before.length)
      .filter((l) => l.model === 'skilldelta/student' && earlier.has(`${l.prompt} ${l.sample}`))
    expect(repeated.length).toBeLessThanOrEqual(2)
    expect(student.length - asked.size).toBe(repeated.length)
    // the teacher: seven proposals, the first sent back once for not being JSON, none asked twice
    expect(after.filter((l) => l.model === 'skilldelta/teacher')).toHaveLength(8)

    // the teacher never saw a holdout goal — not its id, title, text, result names or failures — though
    // failing holdout trials were on record from iteration 1 on; what it saw of train goals shows the
    // check can see a goal (each conversation names at least one)
    const holdoutFailures = records.filter(
      (r) => r.goal.id.startsWith('holdout/') && Object.values(r.checks).some((c) => c.status === 'fail'),
    )
    expect(holdoutFailures.length).toBeGreaterThan(0)
    const conversations = rows.map((r) =>
      readFileSync(path.join(study, 'iterations', String(r.iteration), 'teacher.json'), 'utf8'),
    )
    const trainMarks = Object.values(goalMarks(dir, 'train')).flat()
    const holdoutMarks = Object.values(goalMarks(dir, 'holdout')).flat()
    for (const conversation of conversations) {
      expect(trainMarks.some((mark) => conversation.includes(mark))).toBe(true)
      for (const mark of holdoutMarks) expect(conversation).not.toContain(mark)
    }

    // results.tsv: a header and one row per decision
    const tsv = readFileSync(path.join(study, 'results.tsv'), 'utf8').trim().split('\n')
    expect(tsv[0]!.split('\t')).toEqual([...TSV_COLUMNS])
    expect(tsv).toHaveLength(1 + 1 + 7)
    expect(tsv.filter((l) => l.split('\t')[11] === 'accepted')).toHaveLength(1)

    // the accepted library is one commit on the study's branch, with its row in the message
    const git = (...args: string[]) => execa('git', args, { cwd: dir })
    const log1 = (await git('log', '--format=%s', 'main..skilldelta/improve-fixture-study')).stdout.split('\n')
    expect(log1).toEqual([expect.stringMatching(/proposal 3 accepted tvb-time-units/)])
    const tree = (await git('ls-tree', '-r', '--name-only', 'skilldelta/improve-fixture-study', 'skills')).stdout
    expect(tree.split('\n').sort()).toEqual(['skills/notebook-basics/SKILL.md', 'skills/tvb-time-units/SKILL.md'])
    // committed with git's plumbing: the checked-out branch, the index and the working tree are untouched
    expect((await git('status', '--porcelain')).stdout).toBe('')
    expect((await git('rev-parse', '--abbrev-ref', 'HEAD')).stdout).toBe('main')

    // the final table: the end library gains on both sets, on fresh samples
    const final = entries.find((e) => e.kind === 'final')!
    expect(final).toMatchObject({ added: ['tvb-time-units'], changed: [], samples: 'fresh' })
    expect(second.all).toMatch(/start library .* → end library/)

    // run again: the study is finished, nothing is asked of any model
    const third = await improve()
    expect(third.exitCode).toBe(0)
    expect(readLog(log)).toHaveLength(after.length)
  })

  test('analyze: the A/A run’s failures in clusters, with the crash no skill fixes', async () => {
    const out = await execa('node', [BIN, 'analyze', '--run', `${STUDY}.aa`], { cwd: dir, env, all: true })
    expect(out.exitCode).toBe(0)
    const failures = FailuresSchema.parse(
      JSON.parse(readFileSync(path.join(results, `${STUDY}.aa/failures.json`), 'utf8')),
    )
    const crash = failures.clusters.find((c) => c.kind === 'exception')!
    expect(crash).toMatchObject({
      exception: 'TraitTypeError',
      symbol: 'coupling.Linear(slope=…)',
      goals: ['train/coupling_slope'],
    })
    expect(crash.trials).toBe(4)
    expect(crash.skills.offered).toEqual({ 'notebook-basics': 4 })
    expect(failures.clusters.some((c) => c.kind === 'check')).toBe(true)
    expect(readFileSync(path.join(results, `${STUDY}.aa/failures.md`), 'utf8')).toMatch(/TraitTypeError/)
  })
})
