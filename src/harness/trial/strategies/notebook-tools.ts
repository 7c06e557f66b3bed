import { z } from 'zod'
import type { ToolCall, ToolSpec } from '../../models/types.ts'

/**
 * The driver edits the notebook only through these cell-level tools; the harness owns the .ipynb
 * (models writing raw notebook JSON produced literal "\n", prose and missing files before).
 */

export interface Cell {
  cell_type: 'code' | 'markdown'
  source: string
}

const index = z.number().int().min(0).describe('cell index, 0-based')
const source = z.string().max(20_000).describe('the full source of the cell')
const cellType = z.enum(['code', 'markdown']).describe('code (Python) or markdown')

export const DRIVER_TOOLS = {
  list_cells: { description: 'List the notebook cells: index, type and first line.', schema: z.object({}).strict() },
  read_cell: { description: 'Read the full source of one cell.', schema: z.object({ index }).strict() },
  add_cell: {
    description: 'Add a cell at the end, or before `index` when given.',
    schema: z.object({ cell_type: cellType, source, index: index.optional() }).strict(),
  },
  replace_cell: { description: 'Replace the source of one cell.', schema: z.object({ index, source }).strict() },
  delete_cell: { description: 'Delete one cell.', schema: z.object({ index }).strict() },
  finish: {
    description: 'Say the notebook is ready to be executed and reviewed.',
    schema: z.object({ summary: z.string().max(2_000).describe('what the notebook does') }).strict(),
  },
} as const

/** On-demand skill delivery: the driver sees names and descriptions and reads what it wants. */
export const SKILL_TOOLS = {
  read_skill: {
    description: "Read one of the listed skills (domain notes) in full, or one of the skill's files with `file`.",
    schema: z
      .object({
        name: z.string().describe('the skill name as listed'),
        file: z.string().max(300).optional().describe('a file the skill lists, e.g. references/units.md'),
      })
      .strict(),
  },
} as const

export const NAVIGATOR_TOOLS = {
  verdict: {
    description: 'Your review of the executed notebook: accept it, ask for a revision, or give up.',
    schema: z
      .object({
        decision: z.enum(['accept', 'revise', 'give_up']),
        feedback: z.string().max(4_000).describe('for revise: precisely what the driver must change'),
      })
      .strict(),
  },
} as const

type ToolTable = Record<string, { description: string; schema: z.ZodType }>

export function toolSpecs(table: ToolTable): ToolSpec[] {
  return Object.entries(table).map(([name, tool]) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.schema) as Record<string, unknown>
    return { name, description: tool.description, parameters }
  })
}

/** Parse a tool call's arguments with the tool's schema; the error text goes back to the model. */
export function parseToolCall<T extends ToolTable>(
  table: T,
  call: ToolCall,
): { ok: true; name: keyof T & string; args: any } | { ok: false; error: string } {
  const tool = table[call.name]
  if (!tool) return { ok: false, error: `unknown tool "${call.name}"; available: ${Object.keys(table).join(', ')}` }
  const parsed = tool.schema.safeParse(call.arguments)
  if (!parsed.success)
    return { ok: false, error: `invalid arguments for ${call.name}: ${z.prettifyError(parsed.error)}` }
  return { ok: true, name: call.name, args: parsed.data }
}

const firstLine = (text: string): string => (text.split('\n').find((l) => l.trim()) ?? '').slice(0, 100)

/** The notebook being written, as cells; serialised to nbformat 4.5 by the harness. */
export class NotebookDraft {
  readonly cells: Cell[] = []

  apply(name: keyof typeof DRIVER_TOOLS, args: any): { result: string; changed: boolean } {
    const at = (i: number) => {
      if (i >= this.cells.length)
        throw new RangeError(`there is no cell ${i}; the notebook has ${this.cells.length} cells`)
      return this.cells[i]!
    }
    switch (name) {
      case 'list_cells':
        return {
          result: this.cells.length
            ? this.cells
                .map((c, i) => `${i} [${c.cell_type}] ${firstLine(c.source)} (${c.source.split('\n').length} lines)`)
                .join('\n')
            : 'the notebook is empty',
          changed: false,
        }
      case 'read_cell':
        return { result: at(args.index).source, changed: false }
      case 'add_cell': {
        const position = args.index === undefined ? this.cells.length : Math.min(args.index, this.cells.length)
        this.cells.splice(position, 0, { cell_type: args.cell_type, source: args.source })
        return { result: `added ${args.cell_type} cell ${position}`, changed: true }
      }
      case 'replace_cell':
        at(args.index).source = args.source
        return { result: `replaced cell ${args.index}`, changed: true }
      case 'delete_cell':
        at(args.index)
        this.cells.splice(args.index, 1)
        return { result: `deleted cell ${args.index}`, changed: true }
      case 'finish':
        return { result: 'the notebook will now be executed and reviewed', changed: false }
    }
  }

  toJson(): string {
    return JSON.stringify(
      {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {
          kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
          language_info: { name: 'python' },
        },
        cells: this.cells.map((cell, i) =>
          cell.cell_type === 'code'
            ? {
                id: `cell-${i}`,
                cell_type: 'code',
                metadata: {},
                execution_count: null,
                outputs: [],
                source: cell.source,
              }
            : { id: `cell-${i}`, cell_type: 'markdown', metadata: {}, source: cell.source },
        ),
      },
      null,
      1,
    )
  }
}
