/**
 * The code a Markdown file shows: fenced blocks (with their info string) and inline code spans,
 * each with the 1-based line where its text starts. Frontmatter is skipped.
 */

export interface CodeItem {
  kind: 'span' | 'block'
  /** The fence's language for blocks (`python`, `py`, `''`). */
  lang: string
  line: number
  text: string
}

/** On a line (or the line before a fence): the code there is meant to be wrong (a pitfall shown as such). */
export const IGNORE = '<!-- skilldelta-lint: ignore -->'

export function codeIn(markdown: string): CodeItem[] {
  const lines = markdown.split(/\r?\n/)
  const items: CodeItem[] = []
  let i = 0
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, k) => k > 0 && line.trim() === '---')
    if (end > 0) i = end + 1
  }
  for (; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const fence = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(line)
    const ignored = line.includes(IGNORE) || (i > 0 && lines[i - 1]!.includes(IGNORE))
    if (fence) {
      const marker = fence[1]!
      const start = i + 1
      let end = start
      while (end < lines.length && !lines[end]!.trimStart().startsWith(marker)) end++
      if (!ignored)
        items.push({
          kind: 'block',
          lang: (fence[2] ?? '').toLowerCase(),
          line: start + 1,
          text: lines.slice(start, end).join('\n'),
        })
      i = end
      continue
    }
    if (line.includes(IGNORE)) continue
    for (const span of line.matchAll(/(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)/g))
      items.push({ kind: 'span', lang: '', line: i + 1, text: span[2]!.trim() })
  }
  return items
}

export const isPython = (item: CodeItem): boolean =>
  item.kind === 'block' && ['python', 'py', 'python3'].includes(item.lang)
