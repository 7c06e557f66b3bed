import { createHash } from 'node:crypto'
import path from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Sharding for a model matrix. Vitest's shard() orders files by a hash of their path alone, but
 * here the same GOAL.md is a test file once per model project: those ties keep discovery order,
 * which differs between invocations, so two shards could both take (model A, goal) while
 * (model B, goal) ran in neither. Hashing project name + path gives every shard a disjoint,
 * stable slice. The split into sizes is Vitest's: the first `remainder` shards get one more file.
 */
export class MatrixSequencer extends BaseSequencer {
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { config } = this.ctx
    if (!config.shard) return files
    const { index, count } = config.shard
    const keyed = files
      .map((spec) => ({
        spec,
        key: createHash('sha1')
          .update(`${spec.project.name}\0${path.relative(config.root, spec.moduleId)}`)
          .digest('hex'),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const [start, end] = shardRange(files.length, index, count)
    return keyed.slice(start, end).map(({ spec }) => spec)
  }
}

function shardRange(files: number, index: number, count: number): [number, number] {
  const base = Math.floor(files / count)
  const remainder = files % count
  if (index <= remainder) return [(base + 1) * (index - 1), (base + 1) * index]
  const start = remainder * (base + 1) + (index - remainder - 1) * base
  return [start, start + base]
}
