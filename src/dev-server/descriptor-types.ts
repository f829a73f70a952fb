import protobuf from 'protobufjs/light.js'

/**
 * The part of google/protobuf/descriptor.proto that describes what a protobufjs reflection root holds, declared
 * here so that no copy of descriptor.proto is needed at run time. Enums are int32 fields (the same bytes).
 */
const descriptorJson = {
  FileDescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      package: { type: 'string', id: 2 },
      dependency: { rule: 'repeated', type: 'string', id: 3 },
      message_type: { rule: 'repeated', type: 'DescriptorProto', id: 4 },
      enum_type: { rule: 'repeated', type: 'EnumDescriptorProto', id: 5 },
      service: { rule: 'repeated', type: 'ServiceDescriptorProto', id: 6 },
      syntax: { type: 'string', id: 12 },
      edition: { type: 'int32', id: 14 },
    },
  },
  DescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      field: { rule: 'repeated', type: 'FieldDescriptorProto', id: 2 },
      nested_type: { rule: 'repeated', type: 'DescriptorProto', id: 3 },
      enum_type: { rule: 'repeated', type: 'EnumDescriptorProto', id: 4 },
      extension_range: { rule: 'repeated', type: 'Range', id: 5 },
      options: { type: 'MessageOptions', id: 7 },
      oneof_decl: { rule: 'repeated', type: 'OneofDescriptorProto', id: 8 },
      reserved_range: { rule: 'repeated', type: 'Range', id: 9 },
      reserved_name: { rule: 'repeated', type: 'string', id: 10 },
    },
  },
  /** DescriptorProto.ExtensionRange, DescriptorProto.ReservedRange and EnumReservedRange: start = 1, end = 2. */
  Range: { fields: { start: { type: 'int32', id: 1 }, end: { type: 'int32', id: 2 } } },
  FieldDescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      number: { type: 'int32', id: 3 },
      label: { type: 'int32', id: 4 },
      type: { type: 'int32', id: 5 },
      type_name: { type: 'string', id: 6 },
      default_value: { type: 'string', id: 7 },
      options: { type: 'FieldOptions', id: 8 },
      oneof_index: { type: 'int32', id: 9 },
      json_name: { type: 'string', id: 10 },
      proto3_optional: { type: 'bool', id: 17 },
    },
  },
  OneofDescriptorProto: { fields: { name: { type: 'string', id: 1 } } },
  EnumDescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      value: { rule: 'repeated', type: 'EnumValueDescriptorProto', id: 2 },
      options: { type: 'EnumOptions', id: 3 },
      reserved_range: { rule: 'repeated', type: 'Range', id: 4 },
      reserved_name: { rule: 'repeated', type: 'string', id: 5 },
    },
  },
  EnumValueDescriptorProto: { fields: { name: { type: 'string', id: 1 }, number: { type: 'int32', id: 2 } } },
  ServiceDescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      method: { rule: 'repeated', type: 'MethodDescriptorProto', id: 2 },
      options: { type: 'ServiceOptions', id: 3 },
    },
  },
  MethodDescriptorProto: {
    fields: {
      name: { type: 'string', id: 1 },
      input_type: { type: 'string', id: 2 },
      output_type: { type: 'string', id: 3 },
      options: { type: 'MethodOptions', id: 4 },
      client_streaming: { type: 'bool', id: 5 },
      server_streaming: { type: 'bool', id: 6 },
    },
  },
  MessageOptions: { fields: { deprecated: { type: 'bool', id: 3 }, map_entry: { type: 'bool', id: 7 } } },
  FieldOptions: { fields: { packed: { type: 'bool', id: 2 }, deprecated: { type: 'bool', id: 3 } } },
  EnumOptions: { fields: { allow_alias: { type: 'bool', id: 2 }, deprecated: { type: 'bool', id: 3 } } },
  ServiceOptions: { fields: { deprecated: { type: 'bool', id: 33 } } },
  MethodOptions: { fields: { deprecated: { type: 'bool', id: 33 }, idempotency_level: { type: 'int32', id: 34 } } },
}

let fileDescriptorType: protobuf.Type | undefined

/** google.protobuf.FileDescriptorProto, as far as descriptorJson declares it; built on first use. */
export function getFileDescriptorType(): protobuf.Type {
  if (fileDescriptorType === undefined) {
    // descriptor.proto is proto2: a field set to zero is written (protobufjs 8 reads an edition-less type as proto3,
    // where it would be left out; protobufjs 7 writes every field that is set either way).
    const proto2 = Object.fromEntries(
      Object.entries(descriptorJson).map(([name, type]) => [name, { edition: 'proto2', ...type }]),
    )
    fileDescriptorType = protobuf.Root.fromJSON({
      nested: { google: { nested: { protobuf: { nested: proto2 } } } },
    }).lookupType('google.protobuf.FileDescriptorProto')
  }
  return fileDescriptorType
}

/** The plain objects getFileDescriptorType encodes (snake_case, as declared). */
export interface FileDescriptorObject {
  name: string
  package?: string
  dependency: string[]
  message_type: MessageDescriptorObject[]
  enum_type: EnumDescriptorObject[]
  service: ServiceDescriptorObject[]
  syntax?: string
  edition?: number
}

export interface MessageDescriptorObject {
  name: string
  field: FieldDescriptorObject[]
  nested_type: MessageDescriptorObject[]
  enum_type: EnumDescriptorObject[]
  extension_range: Range[]
  options?: { deprecated?: boolean; map_entry?: boolean }
  oneof_decl: { name: string }[]
  reserved_range: Range[]
  reserved_name: string[]
}

export interface Range {
  start: number
  end: number
}

export interface FieldDescriptorObject {
  name: string
  number: number
  label: number
  type: number
  type_name?: string
  default_value?: string
  options?: { packed?: boolean; deprecated?: boolean }
  oneof_index?: number
  json_name: string
  proto3_optional?: boolean
}

export interface EnumDescriptorObject {
  name: string
  value: { name: string; number: number }[]
  options?: { allow_alias?: boolean; deprecated?: boolean }
  reserved_range: Range[]
  reserved_name: string[]
}

export interface ServiceDescriptorObject {
  name: string
  method: {
    name: string
    input_type: string
    output_type: string
    options?: { deprecated?: boolean; idempotency_level?: number }
    client_streaming?: boolean
    server_streaming?: boolean
  }[]
  options?: { deprecated?: boolean }
}
