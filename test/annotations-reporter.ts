import { writeFileSync } from 'node:fs'
import type { Reporter, TestCase } from 'vitest/node'

/** Test helper: writes every test's annotations (with attachment paths) to $ANNOTATIONS_OUT. */
export default class AnnotationsReporter implements Reporter {
  private readonly seen: Record<string, { message: string; path?: string; contentType?: string }[]> = {}

  onTestCaseResult(test: TestCase): void {
    this.seen[`${test.project.name} ${test.fullName}`] = test.annotations().map((a) => ({
      message: a.message,
      ...(a.attachment?.path ? { path: a.attachment.path } : {}),
      ...(a.attachment?.contentType ? { contentType: a.attachment.contentType } : {}),
    }))
  }

  onTestRunEnd(): void {
    writeFileSync(process.env.ANNOTATIONS_OUT ?? 'annotations.json', JSON.stringify(this.seen, null, 2))
  }
}
