import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { RUNTIME_MODULE } from './harness/config/paths.ts'
import { ExecutionSettingsSchema } from './harness/config/settings.ts'
import { compileGoal } from './harness/goal/compile.ts'
import { executeNotebook } from './harness/notebook/execute.ts'
import { assessExecution } from './matchers/toExecute.ts'

const USAGE = `skilldelta — LLM skill benchmarks as Vitest suites

Usage:
  skilldelta compile <GOAL.md> [--out <file.test.ts | dir>]
      Print (or write) the Vitest test module a GOAL.md compiles to.
  skilldelta execute <notebook.ipynb> [--dir <trial dir>] [--timeout <s>] [--sandbox auto|bwrap|none]
      Run a notebook the way trials do (fresh kernel, sandbox, probe) and print the report.
`

function compile(file: string, out: string | undefined): number {
  const source = readFileSync(file, 'utf8')
  let target = out
  if (out && statSync(out, { throwIfNoEntry: false })?.isDirectory()) {
    target = path.join(out, path.basename(file).replace(/\.GOAL\.md$/i, '.test.ts'))
  }
  // a written file imports the runtime relative to itself, so it runs from where it is
  const runtimeImport = target ? path.relative(path.dirname(path.resolve(target)), RUNTIME_MODULE).replace(/^(?!\.)/, './') : RUNTIME_MODULE
  const compiled = compileGoal(source, path.resolve(file), { runtimeImport })
  if (compiled.error) {
    console.error(compiled.error.message)
    return 1
  }
  if (target) {
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, compiled.code)
    console.error(`wrote ${target}`)
  } else process.stdout.write(compiled.code)
  return 0
}

async function execute(notebook: string, values: { dir?: string | undefined; timeout?: string | undefined; sandbox?: string | undefined }): Promise<number> {
  const dir = values.dir ?? path.join('results', 'adhoc', path.basename(notebook).replace(/\.ipynb$/, ''))
  const report = await executeNotebook({
    notebook,
    trialDir: dir,
    totalTimeoutSeconds: Number(values.timeout ?? 600),
    settings: ExecutionSettingsSchema.parse(values.sandbox ? { sandbox: values.sandbox } : {}),
    onWarning: (warning) => console.error(`WARNING: ${warning}`),
  })
  const { pass, message } = assessExecution(report)
  console.log(`${pass ? 'PASS' : 'FAIL'} ${message}`)
  if (report.probe.status === 'ok') {
    for (const s of report.probe.signals) console.log(`  signal ${s.source}${s.monitor ? ` (${s.monitor})` : ''}: shape ${JSON.stringify(s.shape)}, dt ${s.dt_ms} ms`)
  }
  console.log(`  isolated: ${report.isolated}; executed notebook and report in ${dir}`)
  return pass ? 0 : 1
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, dir: { type: 'string' }, timeout: { type: 'string' }, sandbox: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  const [command, file] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return command ? 0 : 2
  }
  if (!file) {
    console.error(`skilldelta ${command}: missing file argument\n\n${USAGE}`)
    return 2
  }
  if (command === 'compile') return compile(file, values.out)
  if (command === 'execute') return execute(file, values)
  console.error(`unknown command "${command}"\n\n${USAGE}`)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
