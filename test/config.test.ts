import path from 'node:path'
import type { Plugin } from 'vite'
import { describe, expect, test } from 'vitest'
import type { TestProjectInlineConfiguration } from 'vitest/config'
import { defineSkilldeltaConfig } from '../src/config.ts'
import { loadModels } from '../src/harness/config/models.ts'
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

describe('defineSkilldeltaConfig: one whole project per model', () => {
  const models = path.join(ROOT, 'models.yaml')
  const names = loadModels(models).map((m) => m.name)

  test('no project extends the config file (that loads it once more per model); each has the plugin', () => {
    const config = defineSkilldeltaConfig({ models })
    const projects = config.test!.projects as TestProjectInlineConfiguration[]
    expect(projects.map((p) => p.test?.name)).toEqual(names)
    for (const project of projects) {
      expect(project.extends).toBeUndefined()
      expect((project.plugins as Plugin[]).map((p) => p.name)).toEqual(['skilldelta'])
      expect(project.test).toMatchObject({
        isolate: false,
        provide: { 'skilldelta:model': { name: project.test?.name } },
      })
    }
  })

  test('what the user puts under `vitest:` reaches every project, as extending did', () => {
    const plugin: Plugin = { name: 'theirs' }
    const config = defineSkilldeltaConfig({
      models,
      vitest: { plugins: [plugin], test: { testTimeout: 1234, isolate: true, maxWorkers: 3 } },
    })
    expect(config.test?.maxWorkers).toBe(3)
    for (const project of config.test!.projects as TestProjectInlineConfiguration[]) {
      expect(project.test).toMatchObject({ testTimeout: 1234, isolate: true })
      expect((project.plugins as Plugin[]).map((p) => p.name)).toEqual(['skilldelta', 'theirs'])
      expect(project.test).not.toHaveProperty('projects')
    }
  })
})
