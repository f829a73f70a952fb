import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'

/** grpc/reflection/v1/reflection.proto and grpc/health/v1/health.proto, as a client declares them. */
const clientProto = `
syntax = "proto3";
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { int32 status = 1; }
`
const root = protobuf.parse(clientProto, { keepCase: true }).root
export const ReflectionRequest = root.lookupType('ServerReflectionRequest')
export const ReflectionResponse = root.lookupType('ServerReflectionResponse')
export const HealthCheckRequest = root.lookupType('HealthCheckRequest')
export const HealthCheckResponse = root.lookupType('HealthCheckResponse')

/** A decoded test message, read field by field. */
export type Decoded = any

const decode = (type: protobuf.Type, bytes: Uint8Array): Decoded =>
  type.toObject(type.decode(bytes), { defaults: false, bytes: Buffer })

/** One reflection stream over grpc-js: each request sent after the previous reply came, as reflection clients do. */
export async function reflectWithGrpcJs(
  url: string,
  path: string,
  requests: Record<string, unknown>[],
): Promise<Decoded[]> {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  try {
    const call = client.makeBidiStreamRequest(
      path,
      (message: Record<string, unknown>) =>
        Buffer.from(ReflectionRequest.encode(ReflectionRequest.fromObject(message)).finish()),
      (bytes: Buffer) => decode(ReflectionResponse, bytes),
      new grpc.Metadata(),
      { deadline: Date.now() + 15_000 },
    )
    const replies: Decoded[] = []
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve))
    for (const request of requests) {
      const reply = new Promise<Decoded>((resolve, reject) => {
        call.once('data', resolve)
        call.once('error', reject)
      })
      call.write(request)
      replies.push(await reply)
    }
    call.end()
    const { code, details } = await status
    if (code !== grpc.status.OK) throw new Error(`reflection ended with ${code} ${details}`)
    return replies
  } finally {
    client.close()
  }
}

/** grpc.health.v1.Health/Check over grpc-js. */
export function checkHealthWithGrpcJs(
  url: string,
  service: string,
): Promise<{ error: grpc.ServiceError | null; reply?: Decoded }> {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (message: Record<string, unknown>) => Buffer.from(HealthCheckRequest.encode(message).finish()),
      (bytes: Buffer) => decode(HealthCheckResponse, bytes),
      { service },
      { deadline: Date.now() + 10_000 },
      (error, reply) => {
        client.close()
        resolve({ error, reply })
      },
    )
  })
}
