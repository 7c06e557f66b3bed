import { TrialViewSchema, type TrialView } from './schema.ts'

/**
 * The compact form of TrialViews in a run's index (records.view.jsonl), in batches. A batch starts
 * with a line holding its distinct values (`{"values": [...]}`): every top-level field value its
 * views have (a goal, a model, a set of check outcomes, a judge's verdict, …), each once. Then one
 * line per trial: the position of each field's value in that list, null when the field is absent.
 * Most trials share most values (100 000 trials of 1 000 goals × 5 models have a few thousand
 * distinct ones), so a view is an array of small numbers to parse and one object to make, whose
 * fields point to values decoded once, frozen and shared: reading 100 000 views costs a small part
 * of parsing them whole, and holds a small part of the memory.
 *
 * The fields are TrialViewSchema's own, in its order: a field the schema gains is carried with no
 * change here (and the index is rebuilt, since its shape changed). Encoded only from views zod has
 * validated; read only by the index reader.
 */

/** Bump when the encoding changes: the index records it with the view's shape and is rebuilt. */
export const CODEC_VERSION = 2

const FIELDS = Object.keys(TrialViewSchema.shape) as (keyof TrialView)[]

/** The distinct values of one batch, numbered in order of first use. */
export class ValueTable {
  private readonly numbers = new Map<string, number>()
  readonly values: unknown[] = []

  number(value: unknown): number {
    const key = JSON.stringify(value)
    let found = this.numbers.get(key)
    if (found === undefined) {
      found = this.values.length
      this.numbers.set(key, found)
      this.values.push(value)
    }
    return found
  }
}

/** A view as the positions of its fields' values in the batch's table. */
export function encodeView(view: TrialView, table: ValueTable): (number | null)[] {
  return FIELDS.map((field) => (view[field] === undefined ? null : table.number(view[field])))
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/** Decodes the lines of one batch; its values are shared by the views, frozen so no report can change one. */
export class BatchDecoder {
  private readonly values: unknown[]

  constructor(values: unknown[]) {
    this.values = values.map(deepFreeze)
  }

  /** The view a line holds; throws on a line this codec did not write (the caller skips it). */
  decode(encoded: unknown): TrialView {
    if (!Array.isArray(encoded) || encoded.length !== FIELDS.length) throw new Error('not a view of this shape')
    const view: Record<string, unknown> = {}
    for (let i = 0; i < FIELDS.length; i++) {
      const ref = encoded[i] as unknown
      if (ref === null) continue
      // a table never holds undefined (it is JSON): anything else is not one of its positions
      const value = typeof ref === 'number' ? this.values[ref] : undefined
      if (value === undefined) throw new Error(`value ${String(ref)} is not in the batch`)
      view[FIELDS[i]!] = value
    }
    return view as TrialView
  }
}
