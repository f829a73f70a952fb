import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromBinary } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'
import protobuf from 'protobufjs'
import { describeServices } from '../../../src/dev-server/file-descriptors.js'
import type { LocalMethod } from '../../../src/dev-server/local-services.js'
import {
  createReflectionServices,
  healthCheckPath,
  reflectionV1AlphaPath,
  reflectionV1Path,
} from '../../../src/dev-server/reflection.js'
import { GrpcError } from '../../../src/grpc-error.js'
import {
  type Decoded,
  HealthCheckRequest,
  HealthCheckResponse,
  ReflectionRequest,
  ReflectionResponse,
} from '../../support/reflection-client.js'

let dir: string
let reflect: LocalMethod
let check: LocalMethod
let describeCalls = 0

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'middy-grpc-reflection-'))
  writeFileSync(
    join(dir, 'api.proto'),
    'syntax = "proto3";\npackage api;\nimport "types.proto";\nservice Api { rpc Get(types.Req) returns (types.Res); }\n',
  )
  writeFileSync(
    join(dir, 'types.proto'),
    'syntax = "proto3";\npackage types;\nimport "google/protobuf/timestamp.proto";\n' +
      'message Req { string id = 1; }\nmessage Res { google.protobuf.Timestamp at = 1; }\n',
  )
  const Api = protobuf.loadSync(join(dir, 'api.proto')).lookupService('api.Api')
  const described = describeServices([Api])
  const services = createReflectionServices(() => {
    describeCalls += 1
    return described
  })
  reflect = services.get(reflectionV1Path) as LocalMethod
  check = services.get(healthCheckPath) as LocalMethod
  expect(services.get(reflectionV1AlphaPath)).toBe(reflect)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ask = (request: Record<string, unknown>): Decoded =>
  ReflectionResponse.toObject(
    ReflectionResponse.decode(reflect(ReflectionRequest.encode(ReflectionRequest.fromObject(request)).finish())),
    { bytes: Buffer },
  )
const fileNames = (response: Decoded): string[] =>
  response.file_descriptor_response.file_descriptor_proto.map(
    (bytes: Buffer) => fromBinary(FileDescriptorProtoSchema, bytes).name,
  )

describe('reflection', () => {
  test('a file comes with every file it depends on, directly or not, itself first', () => {
    expect(fileNames(ask({ file_containing_symbol: 'api.Api' }))).toEqual([
      'api.proto',
      'types.proto',
      'google/protobuf/timestamp.proto',
    ])
    expect(fileNames(ask({ file_containing_symbol: '.types.Res.at' }))).toEqual([
      'types.proto',
      'google/protobuf/timestamp.proto',
    ])
    expect(fileNames(ask({ file_by_filename: 'google/protobuf/timestamp.proto' }))).toEqual([
      'google/protobuf/timestamp.proto',
    ])
  })

  test('lists the services; echoes the host and the request', () => {
    expect(ask({ host: 'h', list_services: '*' })).toEqual({
      valid_host: 'h',
      original_request: { host: 'h', list_services: '*' },
      list_services_response: { service: [{ name: 'api.Api' }] },
    })
  })

  test('NOT_FOUND error responses for unknown files, symbols, extensions and types', () => {
    expect(ask({ file_by_filename: 'nope.proto' }).error_response).toEqual({
      error_code: 5,
      error_message: 'file "nope.proto" not found',
    })
    expect(
      ask({ file_containing_extension: { containing_type: 'types.Req', extension_number: 100 } }).error_response,
    ).toEqual({ error_code: 5, error_message: 'extension 100 of "types.Req" not found' })
    expect(ask({ all_extension_numbers_of_type: 'types.Nope' }).error_response).toEqual({
      error_code: 5,
      error_message: 'type "types.Nope" not found',
    })
    expect(ask({ all_extension_numbers_of_type: 'types.Req' }).all_extension_numbers_response).toEqual({
      base_type_name: 'types.Req',
    })
    expect(ask({ host: 'h' }).error_response).toEqual({ error_code: 3, error_message: 'no message_request set' })
  })

  test('reads describe() for each request', () => {
    const before = describeCalls
    ask({ list_services: '' })
    ask({ list_services: '' })
    expect(describeCalls - before).toBe(2)
  })
})

describe('health', () => {
  const health = (service: string): unknown =>
    HealthCheckResponse.toObject(HealthCheckResponse.decode(check(HealthCheckRequest.encode({ service }).finish())))

  test('SERVING for the server and each service it serves', () => {
    expect(health('')).toEqual({ status: 1 })
    expect(health('api.Api')).toEqual({ status: 1 })
  })

  test('NOT_FOUND for any other service', () => {
    expect(() => health('types.Req')).toThrow(new GrpcError(5, 'unknown service types.Req'))
  })
})
