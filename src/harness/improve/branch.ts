import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { libraryFiles } from './library.ts'

/**
 * Where accepted libraries are kept: in git, one commit per accepted library on the branch
 * `skilldelta/improve-<id>`, its tree the branch's with the skills directory replaced by the library
 * and the decision's row in its message — made with git's plumbing and a private index, so the
 * working tree, the index and the checked-out branch are never touched. Outside git, a directory
 * snapshot per accepted library. Both are idempotent: a study resumed after a kill does not commit twice.
 */

export interface Keeper {
  /** Where it keeps them: the branch, or the snapshots directory. */
  where: string
  keep(library: string, subject: string, body: string): Promise<string>
}

async function git(cwd: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  const result = await execa('git', args, {
    cwd,
    reject: false,
    ...(options.input !== undefined ? { input: options.input } : {}),
    env: { ...options.env, GIT_TERMINAL_PROMPT: '0' },
  })
  return { ok: result.exitCode === 0, out: String(result.stdout).trim(), err: String(result.stderr).trim() }
}

/** The repository holding `skillsDir`, and the directory's path in it; undefined outside git. */
async function repositoryOf(skillsDir: string): Promise<{ top: string; relative: string } | undefined> {
  const probe = existsSync(skillsDir) ? skillsDir : path.dirname(skillsDir)
  const top = await git(probe, ['rev-parse', '--show-toplevel'])
  if (!top.ok) return undefined
  const relative = path.relative(top.out, path.resolve(skillsDir)).split(path.sep).join('/')
  if (!relative || relative.startsWith('..')) return undefined
  return { top: top.out, relative }
}

function gitKeeper(top: string, relative: string, branch: string): Keeper {
  const ref = `refs/heads/${branch}`
  return {
    where: `git branch ${branch}`,
    async keep(library, subject, body) {
      const head = await git(top, ['rev-parse', '--verify', '-q', ref])
      if (head.ok) {
        const last = await git(top, ['log', '-1', '--format=%s', head.out])
        if (last.out === subject) return head.out // already committed (a resumed study)
      }
      const parent = head.ok ? head.out : (await git(top, ['rev-parse', '--verify', '-q', 'HEAD'])).out
      const index = path.join(os.tmpdir(), `skilldelta-index-${process.pid}-${Date.now()}`)
      const env = { GIT_INDEX_FILE: index }
      try {
        await git(top, parent ? ['read-tree', parent] : ['read-tree', '--empty'], { env })
        await git(top, ['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', relative], { env })
        const files = libraryFiles(library)
        const input = files.map((file) => path.join(library, ...file.split('/'))).join('\n')
        const blobs = await git(top, ['hash-object', '-w', '--stdin-paths'], { input })
        if (!blobs.ok) throw new Error(`git hash-object: ${blobs.err}`)
        const entries = blobs.out.split('\n').map((blob, i) => `100644 ${blob}\t${relative}/${files[i]!}`)
        const added = await git(top, ['update-index', '--add', '--index-info'], {
          env,
          input: `${entries.join('\n')}\n`,
        })
        if (!added.ok) throw new Error(`git update-index: ${added.err}`)
        const tree = await git(top, ['write-tree'], { env })
        if (!tree.ok) throw new Error(`git write-tree: ${tree.err}`)
        // a repository without an identity still gets the commit (the harness's own name)
        const named = (await git(top, ['config', 'user.email'])).ok
        const identity = named
          ? {}
          : {
              GIT_AUTHOR_NAME: 'skilldelta',
              GIT_AUTHOR_EMAIL: 'skilldelta@localhost',
              GIT_COMMITTER_NAME: 'skilldelta',
              GIT_COMMITTER_EMAIL: 'skilldelta@localhost',
            }
        const commit = await git(top, ['commit-tree', tree.out, ...(parent ? ['-p', parent] : []), '-F', '-'], {
          env: identity,
          input: `${subject}\n\n${body}\n`,
        })
        if (!commit.ok) throw new Error(`git commit-tree: ${commit.err}`)
        const moved = await git(top, ['update-ref', ref, commit.out, ...(head.ok ? [head.out] : [])])
        if (!moved.ok) throw new Error(`git update-ref: ${moved.err}`)
        return commit.out
      } finally {
        await rm(index, { force: true })
      }
    },
  }
}

function snapshotKeeper(dir: string): Keeper {
  return {
    where: `snapshots in ${dir}`,
    async keep(library, subject, body) {
      const name = subject.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 100)
      const target = path.join(dir, name)
      if (existsSync(target)) return target
      await mkdir(dir, { recursive: true })
      await cp(library, `${target}.tmp`, { recursive: true })
      await writeFile(path.join(`${target}.tmp`, 'ACCEPTED.txt'), `${subject}\n\n${body}\n`)
      await rm(target, { recursive: true, force: true })
      await cp(`${target}.tmp`, target, { recursive: true })
      await rm(`${target}.tmp`, { recursive: true, force: true })
      return target
    },
  }
}

/** A keeper for this study: the git branch when the start library lives in a repository, else snapshots. */
export async function keeperFor(skillsDir: string, id: string, snapshots: string): Promise<Keeper> {
  const repository = await repositoryOf(skillsDir)
  return repository
    ? gitKeeper(repository.top, repository.relative, `skilldelta/improve-${id}`)
    : snapshotKeeper(snapshots)
}
