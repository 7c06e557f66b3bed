import { INVISIBLE, neutralize } from '../judge/digest.ts'

/**
 * The skill security scan: a skill is text every trial's model reads as domain notes, so a skill that
 * tells the model (or the grader behind it) what to do beyond the science is refused. Five kinds:
 *
 * - `grader`: text addressed to a grader, or overriding instructions ("give this 5/5", "ignore the
 *   rubric") — the judge filter's patterns (judge/digest.ts), with their known misses;
 * - `secrets`: reading the environment, keys, credentials or SSH/cloud configuration, or asking to
 *   print or send them;
 * - `outside`: absolute paths, `..`, the home directory or `chdir` — anything beyond the notebook's own
 *   working directory;
 * - `network`: network libraries, URLs in code, package installs, downloads;
 * - `shell`: shell escapes and subprocesses (each can do all of the above).
 *
 * Code (fenced blocks) is held to every rule; prose only where it instructs (a fetch verb with a URL,
 * "print the API key"), and a line that forbids the thing ("never `pip install`") passes. A pattern
 * list is one layer: skills also run in the sandbox at screening, and notebooks always do.
 */

export const SCAN_RULES = ['grader', 'secrets', 'outside', 'network', 'shell'] as const
export type ScanRule = (typeof SCAN_RULES)[number]

export interface ScanFinding {
  rule: ScanRule
  /** 1-based line in the scanned text. */
  line: number
  excerpt: string
}

const NEGATED = /\b(?:never|not|no|don['’]t|do not|without|avoid|cannot|can['’]t|forbidden|there is no)\b/i

const IN_CODE: [ScanRule, RegExp][] = [
  [
    'secrets',
    /\bos\.environ\b|\bgetenv\s*\(|\benviron\s*\[|\/proc\/(?:self|\d+)\/environ|\.ssh\/|\bid_rsa\b|\.aws\/|\.netrc\b|credentials?\b|\bapi[_-]?key\b/i,
  ],
  [
    'outside',
    /["'](?:\/|~\/|[A-Za-z]:\\)[^"'\n]*["']|["'][^"'\n]*\.\.[/\\][^"'\n]*["']|\bos\.chdir\b|\bPath\.home\b|\bexpanduser\b|\bshutil\.rmtree\b/,
  ],
  [
    'network',
    /\b(?:import|from)\s+(?:requests|urllib\d?|http\.client|httpx|aiohttp|socket|ftplib|smtplib|paramiko|websocket)\b|\burlopen\s*\(|\brequests\.(?:get|post|put)\b|https?:\/\/|\bpip\s+install\b|\bcurl\s|\bwget\s/i,
  ],
  ['shell', /\bos\.(?:system|popen|exec\w*|spawn\w*)\b|\bsubprocess\b|\bpty\.spawn\b|^\s*!|%%?(?:bash|sh|system|sx)\b/],
]

const IN_PROSE: [ScanRule, RegExp][] = [
  [
    'secrets',
    /\b(?:print|send|post|upload|include|copy|reveal|show|leak|exfiltrat\w*|read|dump|log)\b[^\n]{0,60}?\b(?:api[_ -]?keys?|secrets?|passwords?|credentials?|access tokens?|auth tokens?|environment variables?|ssh keys?|\.env\b)/i,
  ],
  [
    'outside',
    /\b(?:read|write|save|open|delete|remove|copy|list|overwrite|modify)\b[^\n]{0,60}?(?:\/etc\b|\/home\b|\/root\b|~\/|\.\.\/|outside (?:the|its|your) (?:notebook|working) director)/i,
  ],
  [
    'network',
    /\b(?:download|fetch|curl|wget|request|post|upload|pip install|send)\b[^\n]{0,80}?(?:https?:\/\/|\burl\b|internet|server|endpoint|webhook)|\bpip install\b/i,
  ],
  ['shell', /\b(?:run|execute)\b[^\n]{0,40}?\b(?:shell|bash|subprocess|os\.system|terminal command)\b/i],
]

const excerpt = (text: string): string => text.trim().slice(0, 120)

/** Every finding in a SKILL.md (or any Markdown), by line. */
export function scanSkill(text: string): ScanFinding[] {
  const findings: ScanFinding[] = []
  const lines = text.split('\n')
  const grader = neutralize(text).text.split('\n')
  let fence: string | undefined
  lines.forEach((line, index) => {
    const at = index + 1
    if (grader[index] !== line.replace(INVISIBLE, ''))
      findings.push({ rule: 'grader', line: at, excerpt: excerpt(line) })
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker
      return
    }
    const rules = fence ? IN_CODE : IN_PROSE
    // prose that forbids the thing ("never `pip install`") is advice, not an instruction
    if (!fence && NEGATED.test(line)) return
    for (const [rule, pattern] of rules)
      if (pattern.test(line)) findings.push({ rule, line: at, excerpt: excerpt(line) })
  })
  return findings
}

export const formatFinding = (f: ScanFinding): string => `line ${f.line} (${f.rule}): ${f.excerpt}`
