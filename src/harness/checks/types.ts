import type { z } from 'zod'
import type { SignalSelector, SignalSubject } from '../analysis/select.ts'
import type { JudgeSubject } from '../judge/subject.ts'
import type { ExecutionReport, ResultValue } from '../notebook/report.ts'

/** A trial that produced no notebook to execute, and why. */
interface NotExecuted {
  executed: false
  reason: string
}
export type ExecutionSubject = ExecutionReport | NotExecuted

/** A file that explains a verdict (a spectrum plot): attached to the test in Vitest UI and Allure. */
export interface Attachment {
  title: string
  file: string
  contentType: string
}

/**
 * What a check concluded, as a value: the trial records it, the matcher asserts it. Failures and
 * skips carry the reason; every verdict carries the numbers it was based on.
 */
export interface Verdict {
  status: 'pass' | 'fail' | 'skip'
  /** pass: the numbers in a sentence; fail: why; skip: why the check does not apply in this run. */
  message: string
  measured: Record<string, unknown>
  attachments?: Attachment[]
  /** For the assertion diff in Vitest's output. */
  actual?: unknown
  expected?: unknown
}

/** What a trial can give a check. Each input is produced once per trial, on first request. */
export interface CheckInputs {
  /** The executed notebook's report, or why no notebook was executed. */
  execution(): ExecutionSubject
  /** The probed series a selector picks, or why there is none. */
  signal(selector: SignalSelector): Promise<SignalSubject>
  /** The independent judge's verdict on the executed notebook, or why there is none. */
  judgement(): Promise<JudgeSubject>
  /** The named results the probe read from the notebook (variables holding numbers), by name. */
  results(): Record<string, ResultValue>
  /** Where a check may write files (plots): the trial's directory. */
  outDir: string
}

export type Need = 'execution' | 'signal' | 'judge'

/**
 * One kind of check: everything about it in one place. The GOAL.md compiler, the frontmatter
 * schema, the matchers, the trial record and the reports are all generic over these entries.
 */
export interface CheckKind<Params = unknown> {
  /** The frontmatter key under `checks:` (also the record key, with `[i]` for lists). */
  key: string
  /** One line for `skilldelta goals` and the docs. */
  summary: string
  /** One check's parameters as written in the frontmatter. `true` means "all defaults". */
  schema: z.ZodType<Params>
  /** Whether the key takes a list of checks (each becomes its own test). */
  many: boolean
  /** Objective checks make up the objective score; a judge's opinion does not. */
  objective: boolean
  needs: readonly Need[]
  testName(params: Params): string
  /** Variables of the notebook the check reads (the probe fetches them): e.g. `peak_hz`. */
  results?(params: Params): string[]
  assess(params: Params, inputs: CheckInputs): Promise<Verdict>
}

/** One check of one goal, as the compiler embeds it and the trial runs it. */
export interface CheckInstance {
  /** Record key: the kind's key, with `[i]` when the kind takes a list. */
  id: string
  kind: string
  params: unknown
  /** The GOAL.md line the test maps back to. */
  line: number
  /** The test's name in Vitest. */
  name: string
}
