import { describe, expect, test } from 'vitest'
import { readEnv } from '../src/harness/config/env.ts'
import { existingRun, runOf } from '../src/harness/config/run.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { ROOT } from './helpers.ts'

describe('settings: options and environment, resolved once, without side effects', () => {
  test('every SKILLDELTA_* variable is parsed with its type; a bad one names the variable and what it takes', () => {
    expect(readEnv({ SKILLDELTA_EPOCHS: '3', SKILLDELTA_DEBUG: '1' })).toMatchObject({
      SKILLDELTA_EPOCHS: 3,
      SKILLDELTA_DEBUG: true,
      SKILLDELTA_CACHE: 'on',
    })
    expect(() => readEnv({ SKILLDELTA_CACHE: 'sometimes' })).toThrow(/SKILLDELTA_CACHE="sometimes": .*"on"/)
    expect(() => readEnv({ SKILLDELTA_EPOCHS: '0', SKILLDELTA_SANDBOX: 'docker' })).toThrow(
      /bad environment variables: SKILLDELTA_EPOCHS="0": .*; SKILLDELTA_SANDBOX="docker"/,
    )
    expect(() => readEnv({ SKILLDELTA_RUN_ID: '../escape' })).toThrow(/SKILLDELTA_RUN_ID/)
    expect(readEnv({ SKILLDELTA_JUDGE: '' }).SKILLDELTA_JUDGE).toBeUndefined() // empty means unset
  })

  test('resolving settings reads the environment it is given and writes nothing back', () => {
    const env: NodeJS.ProcessEnv = { SKILLDELTA_EPOCHS: '2', SKILLDELTA_CACHE: 'off', SKILLDELTA_JUDGE: 'none' }
    const before = { ...env }
    const settings = resolveSettings({ epochs: 5 }, ROOT, env)
    expect(settings).toMatchObject({ epochs: 2, cache: { mode: 'off' }, judgeOverride: 'none' })
    expect(env).toEqual(before)
  })

  test('one run id per Vitest invocation, however often the config is evaluated', () => {
    const settings = resolveSettings({}, ROOT, {})
    const invocation = {}
    const first = runOf(invocation, settings)
    const again = runOf(invocation, resolveSettings({}, ROOT, {}))
    expect(again.runId).toBe(first.runId)
    expect(existingRun(invocation)).toBe(first)
    expect(runOf({}, settings).runId).not.toBe(first.runId) // another invocation, another run
    expect(runOf({}, settings, 'chosen').runId).toBe('chosen')
  })
})
