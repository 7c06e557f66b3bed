// The README's worked example of `skilldelta improve` ("How the study works"): the fixture study of
// test/fixtures/improve (a scripted teacher, a scripted student, 7 train and 5 holdout goals) written
// to test/.tmp/example-improve (or the folder given), run there, and its results.tsv printed.
// Real Vitest runs and real notebook executions: about 10–20 minutes on two cores. Run it again to
// resume; delete the folder to start over.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { PACKAGE_ROOT } from '../src/harness/config/paths.ts'
import { STUDY_ARGS, writeStudyProject } from '../test/fixtures/improve/project.ts'

const dir = path.resolve(process.argv[2] ?? path.join(PACKAGE_ROOT, 'test/.tmp/example-improve'))
if (!existsSync(path.join(dir, 'vitest.config.ts'))) await writeStudyProject(dir)
console.log(`the fixture study in ${dir}\n$ npx skilldelta improve ${STUDY_ARGS.join(' ')}\n`)
const study = await execa('node', [path.join(PACKAGE_ROOT, 'bin/skilldelta.mjs'), 'improve', ...STUDY_ARGS], {
  cwd: dir,
  stdio: 'inherit',
  reject: false,
})
const tsv = path.join(dir, 'results/fixture-study/results.tsv')
if (existsSync(tsv)) console.log(`\n${tsv}:\n\n${readFileSync(tsv, 'utf8')}`)
process.exitCode = study.exitCode ?? 1
