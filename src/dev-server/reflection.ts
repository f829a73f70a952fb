import protobuf from 'protobufjs/light.js'
import { GrpcError } from '../grpc-error.js'
import { Status } from '../status.js'
import type { DescribedServices, FileDescriptor } from './file-descriptors.js'
import type { LocalMethod, LocalServices } from './local-services.js'

/** grpc/reflection/v1/reflection.proto (v1alpha has the same messages) and grpc/health/v1/health.proto, in part. */
const reflectionRoot = protobuf.Root.fromJSON({
  nested: {
    ServerReflectionRequest: {
      oneofs: {
        message_request: {
          oneof: [
            'file_by_filename',
            'file_containing_symbol',
            'file_containing_extension',
            'all_extension_numbers_of_type',
            'list_services',
          ],
        },
      },
      fields: {
        host: { type: 'string', id: 1 },
        file_by_filename: { type: 'string', id: 3 },
        file_containing_symbol: { type: 'string', id: 4 },
        file_containing_extension: { type: 'ExtensionRequest', id: 5 },
        all_extension_numbers_of_type: { type: 'string', id: 6 },
        list_services: { type: 'string', id: 7 },
      },
    },
    ExtensionRequest: {
      fields: { containing_type: { type: 'string', id: 1 }, extension_number: { type: 'int32', id: 2 } },
    },
    ServerReflectionResponse: {
      fields: {
        valid_host: { type: 'string', id: 1 },
        original_request: { type: 'ServerReflectionRequest', id: 2 },
        file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
        all_extension_numbers_response: { type: 'ExtensionNumberResponse', id: 5 },
        list_services_response: { type: 'ListServiceResponse', id: 6 },
        error_response: { type: 'ErrorResponse', id: 7 },
      },
    },
    FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
    ExtensionNumberResponse: {
      fields: {
        base_type_name: { type: 'string', id: 1 },
        extension_number: { rule: 'repeated', type: 'int32', id: 2 },
      },
    },
    ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
    ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
    ErrorResponse: { fields: { error_code: { type: 'int32', id: 1 }, error_message: { type: 'string', id: 2 } } },
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } },
  },
})
const ReflectionRequest = reflectionRoot.lookupType('ServerReflectionRequest')
const ReflectionResponse = reflectionRoot.lookupType('ServerReflectionResponse')
const HealthCheckRequest = reflectionRoot.lookupType('HealthCheckRequest')
const HealthCheckResponse = reflectionRoot.lookupType('HealthCheckResponse')

export const reflectionV1Path = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'
export const reflectionV1AlphaPath = '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo'
export const healthCheckPath = '/grpc.health.v1.Health/Check'

/** HealthCheckResponse.ServingStatus.SERVING */
const serving = 1

interface ReflectionRequestObject {
  host?: string
  file_by_filename?: string
  file_containing_symbol?: string
  file_containing_extension?: { containing_type?: string; extension_number?: number }
  all_extension_numbers_of_type?: string
  list_services?: string
}

/** What reflection answers from: the services described once, indexed by file name and by symbol. */
interface Catalog {
  described: DescribedServices
  files: Map<string, FileDescriptor>
  fileOfSymbol: Map<string, FileDescriptor>
}

function indexCatalog(described: DescribedServices): Catalog {
  const files = new Map(described.files.map((file) => [file.name, file]))
  const fileOfSymbol = new Map<string, FileDescriptor>()
  for (const file of described.files) for (const symbol of file.symbols) fileOfSymbol.set(symbol, file)
  return { described, files, fileOfSymbol }
}

/** The file first, then every file it depends on, directly or not, each once. */
function withDependencies(file: FileDescriptor, files: Map<string, FileDescriptor>): Uint8Array[] {
  const seen = new Set<string>()
  const out: Uint8Array[] = []
  const visit = (current: FileDescriptor): void => {
    if (seen.has(current.name)) return
    seen.add(current.name)
    out.push(current.proto)
    for (const name of current.dependencies) {
      const dependency = files.get(name)
      if (dependency !== undefined) visit(dependency)
    }
  }
  visit(file)
  return out
}

/** One ServerReflectionResponse (as a plain object) for one request. */
function answerReflection(request: ReflectionRequestObject, catalog: Catalog): Record<string, unknown> {
  const notFound = (what: string) => ({
    error_response: { error_code: Status.NOT_FOUND, error_message: `${what} not found` },
  })
  const files = (file: FileDescriptor | undefined, what: string) =>
    file === undefined
      ? notFound(what)
      : { file_descriptor_response: { file_descriptor_proto: withDependencies(file, catalog.files) } }
  const answer = (): Record<string, unknown> => {
    if (request.list_services !== undefined) {
      const names = catalog.described.serviceNames.filter((name) => catalog.fileOfSymbol.has(name))
      return { list_services_response: { service: names.map((name) => ({ name })) } }
    }
    if (request.file_by_filename !== undefined)
      return files(catalog.files.get(request.file_by_filename), `file "${request.file_by_filename}"`)
    if (request.file_containing_symbol !== undefined) {
      const symbol = request.file_containing_symbol.replace(/^\./, '')
      return files(catalog.fileOfSymbol.get(symbol), `symbol "${symbol}"`)
    }
    if (request.file_containing_extension !== undefined) {
      const { containing_type: type = '', extension_number: number = 0 } = request.file_containing_extension
      return notFound(`extension ${number} of "${type}"`)
    }
    if (request.all_extension_numbers_of_type !== undefined) {
      const type = request.all_extension_numbers_of_type.replace(/^\./, '')
      return catalog.fileOfSymbol.has(type)
        ? { all_extension_numbers_response: { base_type_name: type, extension_number: [] } }
        : notFound(`type "${type}"`)
    }
    return { error_response: { error_code: Status.INVALID_ARGUMENT, error_message: 'no message_request set' } }
  }
  return { valid_host: request.host ?? '', original_request: request, ...answer() }
}

/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`: list services, file by name, file containing a symbol,
 * each file with its dependencies) and `grpc.health.v1.Health/Check` (SERVING for "" and each service the handler
 * serves, NOT_FOUND for any other), answered from `describe()`, read again for each request.
 */
export function createReflectionServices(describe: () => DescribedServices): LocalServices {
  let cached: Catalog | undefined
  const catalog = (): Catalog => {
    const described = describe()
    if (cached?.described !== described) cached = indexCatalog(described)
    return cached
  }
  const reflect: LocalMethod = (bytes) => {
    const request = ReflectionRequest.toObject(ReflectionRequest.decode(bytes), {
      oneofs: false,
    }) as ReflectionRequestObject
    return ReflectionResponse.encode(answerReflection(request, catalog())).finish()
  }
  const check: LocalMethod = (bytes) => {
    const { service = '' } = HealthCheckRequest.toObject(HealthCheckRequest.decode(bytes)) as { service?: string }
    if (service !== '' && !catalog().described.serviceNames.includes(service))
      throw new GrpcError(Status.NOT_FOUND, `unknown service ${service}`)
    return HealthCheckResponse.encode({ status: serving }).finish()
  }
  return new Map([
    [reflectionV1Path, reflect],
    [reflectionV1AlphaPath, reflect],
    [healthCheckPath, check],
  ])
}
