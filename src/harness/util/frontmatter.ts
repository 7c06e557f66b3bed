import { LineCounter, isMap, isNode, isPair, parseDocument, type Document, type Node as YamlNode } from 'yaml'

/**
 * A Markdown file's YAML frontmatter (GOAL.md, SKILL.md), parsed so that every field can be
 * located at its line and column in the file: errors point at the line that is wrong.
 */

const FRONTMATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/
const OPENING_FENCE = /^---[ \t]*\r?\n/

export interface Frontmatter {
  /** undefined: the file has no frontmatter. */
  doc: Document.Parsed | undefined
  counter: LineCounter
  /** 1-based line of the file where the frontmatter's YAML starts. */
  firstLine: number
  /** The text after the frontmatter, and its first line (1-based). */
  body: string
  bodyFirstLine: number
  /** The file opens a frontmatter block that is never closed. */
  unclosed: boolean
}

export function splitFrontmatter(text: string): Frontmatter {
  const match = FRONTMATTER.exec(text)
  const counter = new LineCounter()
  const bodyStart = match ? match[0].length : 0
  return {
    doc: match ? parseDocument(match[1] ?? '', { lineCounter: counter, prettyErrors: false }) : undefined,
    counter,
    firstLine: 2,
    body: text.slice(bodyStart),
    bodyFirstLine: text.slice(0, bodyStart).split('\n').length,
    unclosed: !match && OPENING_FENCE.test(text),
  }
}

export interface Position {
  line: number
  column: number
}

/** The file position of a character offset inside the frontmatter's YAML. */
export function positionAt(located: Frontmatter, offset: number): Position {
  const { line, col } = located.counter.linePos(offset)
  return { line: line + located.firstLine - 1, column: col }
}

/** Position of the YAML node at `fieldPath` (its key, where a reader looks), or of its nearest existing ancestor. */
export function positionOf(located: Frontmatter, fieldPath: PropertyKey[]): Position {
  const { doc } = located
  if (!doc) return { line: 1, column: 1 }
  for (let depth = fieldPath.length; depth >= 0; depth--) {
    const keys = fieldPath.slice(0, depth)
    const node = keys.length ? doc.getIn(keys as unknown[], true) : doc.contents
    const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1) as unknown[], true) : doc.contents
    if (keys.length && isMap(parent)) {
      const pair = parent.items.find(
        (item) =>
          isPair(item) && isNode(item.key) && (item.key as YamlNode & { value?: unknown }).value === keys.at(-1),
      )
      if (pair && isNode(pair.key) && pair.key.range) return positionAt(located, pair.key.range[0])
    }
    if (isNode(node) && node.range) return positionAt(located, node.range[0])
  }
  return { line: located.firstLine, column: 1 }
}

/** Whether the frontmatter has a value at `fieldPath`. */
export const hasField = (located: Frontmatter, fieldPath: PropertyKey[]): boolean =>
  located.doc?.getIn(fieldPath as unknown[], true) !== undefined
