import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { JUDGE_DIMENSIONS, type JudgeDimension } from './subject.ts'

/**
 * The judge's instructions: an anchored rubric and versioned domain facts, both plain Markdown
 * files with a `version` in their frontmatter. Their hash joins the judgement cache key and the
 * trial record, so a cached judgement is reused only under the same rubric.
 */

const FrontmatterSchema = z.object({ version: z.union([z.number(), z.string()]) }).passthrough()

interface RubricFile {
  file: string
  version: string
  body: string
}

export interface Rubric {
  /** The rubric's common part (every `## For <tier> goals` section removed). */
  rubric: RubricFile
  /** Extra guidance per goal tier, from the rubric's `## For <tier> goals` sections. */
  tiers: Record<string, string>
  facts: RubricFile
  /** sha256 over both files' full text: any edit invalidates cached judgements. */
  hash: string
}

export class RubricError extends Error {
  override name = 'RubricError'
}

function readVersioned(file: string, what: string): { text: string; parsed: RubricFile } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new RubricError(
      `${file}: the judge's ${what} file is missing; ` +
        `set judge.${what === 'rubric' ? 'rubric' : 'facts'} in the skilldelta options or create it`,
    )
  }
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text)
  const frontmatter = FrontmatterSchema.safeParse(match ? parseYaml(match[1] ?? '') : undefined)
  if (!match || !frontmatter.success) {
    throw new RubricError(
      `${file}: needs YAML frontmatter with a version (---\\nversion: 1\\n---) ` +
        `so judgements can say which ${what} graded them`,
    )
  }
  const body = (match[2] ?? '').trim()
  if (!body) throw new RubricError(`${file}: the ${what} is empty`)
  return { text, parsed: { file, version: String(frontmatter.data.version), body } }
}

export function loadRubric(rubricFile: string, factsFile: string): Rubric {
  const rubric = readVersioned(rubricFile, 'rubric')
  const missing = JUDGE_DIMENSIONS.filter((d) => !rubric.parsed.body.includes(d))
  if (missing.length)
    throw new RubricError(
      `${rubricFile}: the rubric does not describe ${missing.join(', ')}; anchor every dimension (1–5)`,
    )
  const facts = readVersioned(factsFile, 'facts')
  const hash = createHash('sha256').update(rubric.text).update('\0').update(facts.text).digest('hex')
  const { common, tiers } = splitTiers(rubric.parsed.body)
  return { rubric: { ...rubric.parsed, body: common }, tiers, facts: facts.parsed, hash }
}

/** `## For research goals` … up to the next `## ` heading: guidance only that tier's judgements get. */
function splitTiers(body: string): { common: string; tiers: Record<string, string> } {
  const tiers: Record<string, string> = {}
  const common: string[] = []
  let tier: string | undefined
  for (const line of body.split('\n')) {
    const heading = /^## (.*)$/.exec(line)
    if (heading) tier = /^For (\w+) goals\s*$/i.exec(heading[1] ?? '')?.[1]?.toLowerCase()
    if (tier) tiers[tier] = `${tiers[tier] ?? ''}${line}\n`
    else common.push(line)
  }
  for (const key of Object.keys(tiers)) tiers[key] = (tiers[key] ?? '').trim()
  return { common: common.join('\n').trim(), tiers }
}

const DimensionVerdictSchema = z
  .object({
    reason: z.string().min(1).max(2000),
    score: z.literal([1, 2, 3, 4, 5]),
  })
  .strict()

/**
 * What the judge must return: the fence id of the notebook it graded (a check no notebook can pass
 * for it: the id is the hash of the digest that contains the notebook), then a reason and an integer
 * score per dimension, nothing else.
 */
export const JudgementSchema = z
  .object({
    fence: z.string().min(1).max(64),
    ...(Object.fromEntries(JUDGE_DIMENSIONS.map((d) => [d, DimensionVerdictSchema])) as Record<
      JudgeDimension,
      typeof DimensionVerdictSchema
    >),
  })
  .strict()
export type Judgement = z.infer<typeof JudgementSchema>

/** The same schema as JSON Schema, for provider-native structured output. */
export function judgementJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(JudgementSchema) as Record<string, unknown>
  return schema
}
