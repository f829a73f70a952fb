import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import protobuf from 'protobufjs'
import { createFileRegistry, fromBinary, type Registry } from '@bufbuild/protobuf'
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'

/** The repository root: bench/run.mjs sets it, the compiled bench files live in bench/.out. */
export const repoRoot = process.env.BENCH_ROOT ?? process.cwd()
export const protoDir = join(repoRoot, 'bench', 'proto')

/** protobufjs reflection, as middy-grpc users load it. */
export function loadProtobufjsRoot(file = 'bench.proto'): protobuf.Root {
  return protobuf.loadSync(join(protoDir, file))
}

/** @bufbuild/protobuf descriptors of the same .proto files, compiled by buf (no codegen step). */
export function loadBufRegistry(): { registry: Registry; fileSet: Uint8Array } {
  const fileSet = execFileSync(join(repoRoot, 'node_modules', '.bin', 'buf'), ['build', '-o', '-#format=binpb', '.'], {
    cwd: protoDir,
  })
  return { registry: createFileRegistry(fromBinary(FileDescriptorSetSchema, fileSet)), fileSet }
}

/** The installed version of a package, read from its package.json under the repository's node_modules. */
export function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version
}

/** One line naming the profile a run measured. */
export function profileLine(): string {
  const names = ['@middy/core', 'protobufjs', '@connectrpc/connect']
  return `node ${process.version}, ${names.map((name) => `${name} ${installedVersion(name)}`).join(', ')}`
}
