import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fromBinary } from '@bufbuild/protobuf'
import { createFileRegistry, type Registry } from '@bufbuild/protobuf'
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Descriptors for the real clients (connect-es), compiled from the same .proto files by buf, so that the clients
 * never share code with the server side under test.
 */
export function loadClientRegistry(protoDir: string): Registry {
  const bytes = execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['build', '-o', '-#format=binpb', '.'], {
    cwd: join(root, protoDir),
  })
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes))
}
