/** Where the model's notebook is in its reply: a fenced python block, or a bare percent script. */
type Extraction = { ok: true; script: string } | { ok: false; reason: string }

const FENCE = /```(?:python|py|ipython)?[ \t]*\r?\n([\s\S]*?)```/g

export function extractScript(reply: string): Extraction {
  if (!reply.trim()) return { ok: false, reason: 'the model returned an empty reply' }
  const blocks = [...reply.matchAll(FENCE)].map((m) => m[1] ?? '').filter((b) => b.trim())
  // the notebook is the block with cell markers; otherwise the longest block
  const script =
    blocks.find((b) => /^# %%/m.test(b)) ??
    blocks.sort((a, b) => b.length - a.length)[0] ??
    (/^# %%/m.test(reply) ? reply : undefined)
  if (!script) return { ok: false, reason: 'the reply contains no ```python code block and no "# %%" cells' }
  return { ok: true, script: script.endsWith('\n') ? script : `${script}\n` }
}
