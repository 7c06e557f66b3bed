/**
 * What a goal's Markdown body says about itself, for goals written without frontmatter as
 * collections write them: the title (without prefixes such as "Paper-Grounded Goal:"), the
 * sections, where it cites its source (a "**Source:** …" line, a "## References" section, a DOI),
 * and numeric targets in the text that a check could verify. Lines inside code fences are code,
 * never headings or citations.
 */

interface BodyLine {
  text: string
  /** 0-based index in the body. */
  index: number
  code: boolean
}

function linesOf(body: string): BodyLine[] {
  let fence: string | undefined
  return body.split(/\r?\n/).map((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker
      return { text, index, code: true }
    }
    return { text, index, code: fence !== undefined }
  })
}

/** "Goal:", "Paper-Grounded Goal:", "Research Task 3:" and the like, before the real title. */
const TITLE_PREFIX = /^(?:[\p{L}\d][\p{L}\d'’-]*\s+){0,3}(?:goal|task|benchmark|exercise)(?:\s+\d+)?\s*:\s*/iu

export const stripTitlePrefix = (title: string): { title: string; prefix?: string } => {
  const match = TITLE_PREFIX.exec(title)
  if (!match || match[0].length >= title.length) return { title }
  return { title: title.slice(match[0].length).trim(), prefix: match[0].trim() }
}

export interface BodyInfo {
  sections: Record<string, string>
  /** The first level-1 heading (else the first heading), prefix dropped; `line` 0-based in the body. */
  heading?: { text: string; line: number; prefix?: string }
  /** A citation found in the body; `line` 0-based in the body. */
  source?: { text: string; line: number; how: string }
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/
const CITATION_WORD = String.raw`(?:sources?|references?|citations?|paper|based on|doi)`
/** "Source: …", "**Source:** …", "**Source**: …", "- *Reference:* …" (the text may follow on the next line). */
const SOURCE_LINE = new RegExp(
  String.raw`^\s*(?:[-*+]\s+)?(?:\*\*|__|\*|_)?\s*${CITATION_WORD}\s*(?:\*\*|__|\*|_)?\s*:\s*(?:\*\*|__|\*|_)?\s*(.*)$`,
  'i',
)
const CITATION_SECTION = new RegExp(String.raw`^${CITATION_WORD}$`, 'i')
const DOI = /\b(10\.\d{4,9}\/[^\s"'<>`\])]+)/

const clean = (text: string): string =>
  text
    .replace(/[*_`]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.,;:]+$/, '')
    .slice(0, 300)

/** A bare "10.xxxx/…" is a DOI: say so. */
const asDoi = (text: string): string => (/^10\.\d{4,9}\//.test(text) ? `doi:${text}` : text)

export function readBody(body: string): BodyInfo {
  const lines = linesOf(body)
  const sections: Record<string, string> = {}
  let heading: BodyInfo['heading']
  let firstAnyHeading: BodyInfo['heading']
  let current: string | undefined
  for (const line of lines) {
    const match = line.code ? null : HEADING.exec(line.text)
    if (match?.[1] && match[2]) {
      const { title, prefix } = stripTitlePrefix(match[2])
      const found = { text: title, line: line.index, ...(prefix ? { prefix } : {}) }
      if (match[1].length === 1 && !heading) heading = found
      firstAnyHeading ??= found
      current = match[2]
      sections[current] = ''
      continue
    }
    if (current !== undefined) sections[current] = `${sections[current]}${line.text}\n`
  }
  for (const key of Object.keys(sections)) sections[key] = (sections[key] ?? '').trim()
  const title = heading ?? firstAnyHeading
  const source = citationOf(lines)
  return { sections, ...(title ? { heading: title } : {}), ...(source ? { source } : {}) }
}

/** The first "Source:"-style line (or the first line of a References section), else the first DOI. */
function citationOf(lines: BodyLine[]): BodyInfo['source'] {
  const prose = lines.filter((l) => !l.code)
  const nextText = (after: number): BodyLine | undefined =>
    prose.find((l) => l.index > after && l.text.trim() && !HEADING.test(l.text))
  for (const line of prose) {
    const heading = HEADING.exec(line.text)
    if (heading?.[2] && CITATION_SECTION.test(clean(heading[2]))) {
      const first = nextText(line.index)
      if (first) return { text: clean(first.text.replace(/^\s*[-*+]\s+/, '')), line: first.index, how: 'section' }
      continue
    }
    const match = heading ? null : SOURCE_LINE.exec(line.text)
    if (match) {
      const rest = clean(match[1] ?? '')
      if (rest) return { text: asDoi(rest), line: line.index, how: 'line' }
      const next = nextText(line.index)
      if (next) return { text: asDoi(clean(next.text)), line: next.index, how: 'line' }
    }
  }
  for (const line of prose) {
    const doi = DOI.exec(line.text)?.[1]
    if (doi) return { text: `doi:${doi.replace(/[.,;:]+$/, '')}`, line: line.index, how: 'doi' }
  }
  return undefined
}

export interface TargetHint {
  /** 0-based line in the body. */
  line: number
  /** The words in the goal, e.g. "~10 Hz". */
  text: string
  /** A check that would verify it, as frontmatter YAML, when a check kind can. */
  suggestion?: string
  note?: string
}

const FREQUENCY =
  /(~|≈|about |around |approximately |near )?(\d+(?:\.\d+)?)\s*(?:(?:–|-|to)\s*(\d+(?:\.\d+)?)\s*)?Hz\b/gi
const SPECTRAL_WORDS =
  /\b(peak|peaks|rhythm|oscillat\w*|dominant|frequency|band|alpha|beta|gamma|theta|delta|spectr\w*)\b/i
const round = (x: number): number => Number(x.toPrecision(2))

/**
 * Frequencies the text says the result should show ("a peak near 10 Hz", "8–12 Hz rhythm"). They
 * are hints for `skilldelta goals`, not checks: prose is ambiguous, a check is a decision.
 */
export function targetHints(body: string): TargetHint[] {
  const hints: TargetHint[] = []
  for (const line of linesOf(body)) {
    if (line.code || !SPECTRAL_WORDS.test(line.text)) continue
    for (const match of line.text.matchAll(FREQUENCY)) {
      const low = Number(match[2])
      const high = match[3] === undefined ? undefined : Number(match[3])
      const [lo, hi] = high !== undefined && high > low ? [low, high] : [round(low * 0.8), round(low * 1.2)]
      const text = match[0].trim()
      if (lo >= 1 && hi <= 100) {
        hints.push({ line: line.index, text, suggestion: `checks: { psd_peak: { band: [${lo}, ${hi}] } }` })
      } else {
        hints.push({
          line: line.index,
          text,
          note: 'outside the 1–100 Hz a psd_peak check measures: state it in Expected Output for the judge',
        })
      }
    }
  }
  return hints
}
