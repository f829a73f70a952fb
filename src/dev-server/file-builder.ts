import type protobuf from 'protobufjs'
import {
  type EnumDescriptorObject,
  type FieldDescriptorObject,
  type FileDescriptorObject,
  type MessageDescriptorObject,
  type Range,
  type ServiceDescriptorObject,
  getFileDescriptorType,
} from './descriptor-types.js'
import type { DescribedFile } from '../services/service.js'

/** One .proto file as gRPC reflection hands it out, the shape typed services describe theirs in too. */
export type FileDescriptor = DescribedFile

/** FieldDescriptorProto.Type of each scalar. */
const scalarTypes: Record<string, number> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
}
const typeMessage = 11
const typeEnum = 14
const labelOptional = 1
const labelRequired = 2
const labelRepeated = 3
const idempotencyLevels: Record<string, number> = { IDEMPOTENCY_UNKNOWN: 0, NO_SIDE_EFFECTS: 1, IDEMPOTENT: 2 }
const editions: Record<string, number> = { '2023': 1000, '2024': 1001 }

export type Declaration = protobuf.Type | protobuf.Enum | protobuf.Service

export const isType = (object: protobuf.ReflectionObject): object is protobuf.Type => 'fieldsArray' in object
export const isEnum = (object: protobuf.ReflectionObject): object is protobuf.Enum => 'valuesById' in object
export const isService = (object: protobuf.ReflectionObject): object is protobuf.Service => 'methodsArray' in object
export const isNamespace = (object: protobuf.ReflectionObject): object is protobuf.Namespace => 'nestedArray' in object
export const symbolName = (object: protobuf.ReflectionObject): string => object.fullName.replace(/^\./, '')

/** protoc's json_name: underscores dropped, the letter after each one upper-cased. */
export function toJsonName(name: string): string {
  return name.replace(/_+(.?)/g, (_, next: string) => next.toUpperCase())
}

/** Encodes the declarations of one file, noting the files its references come from and the symbols it declares. */
export class FileBuilder {
  readonly #dependencies = new Set<string>()
  readonly #symbols: string[] = []

  constructor(
    readonly name: string,
    readonly packageName: string,
    readonly fileOf: (type: protobuf.ReflectionObject) => string | undefined,
  ) {}

  build(declarations: readonly Declaration[]): FileDescriptor {
    const first = declarations[0] as Declaration & { _edition?: string | null }
    const edition = first._edition ?? 'proto3'
    const object: FileDescriptorObject = {
      name: this.name,
      package: this.packageName === '' ? undefined : this.packageName,
      dependency: [],
      message_type: declarations.filter(isType).map((type) => this.#message(type)),
      enum_type: declarations.filter(isEnum).map((type) => this.#enum(type)),
      service: declarations.filter(isService).map((service) => this.#service(service)),
      syntax: edition === 'proto2' ? undefined : edition === 'proto3' ? 'proto3' : 'editions',
      edition: editions[edition],
    }
    object.dependency = [...this.#dependencies]
    const type = getFileDescriptorType()
    return {
      name: this.name,
      proto: type.encode(object).finish(),
      dependencies: object.dependency,
      symbols: this.#symbols,
    }
  }

  /** `.pkg.Type`, noting the file it comes from. */
  #reference(type: protobuf.ReflectionObject): string {
    const file = this.fileOf(type)
    if (file !== undefined && file !== this.name) this.#dependencies.add(file)
    return type.fullName
  }

  #message(type: protobuf.Type): MessageDescriptorObject {
    this.#symbols.push(symbolName(type))
    // Real oneofs first, then proto3 `optional`'s synthetic ones, as protoc orders them.
    const synthetic = (oneof: protobuf.OneOf): boolean =>
      oneof.fieldsArray.length === 1 && oneof.fieldsArray[0].options?.proto3_optional === true
    const oneofs = [...type.oneofsArray.filter((oneof) => !synthetic(oneof)), ...type.oneofsArray.filter(synthetic)]
    const mapEntries: MessageDescriptorObject[] = []
    const fields = type.fieldsArray.map((field) => {
      this.#symbols.push(symbolName(field))
      const { keyType } = field as protobuf.Field & { keyType?: string }
      if (keyType === undefined) return this.#field(field, oneofs)
      const entryName = `${toJsonName(field.name).replace(/^./, (first) => first.toUpperCase())}Entry`
      mapEntries.push({
        ...emptyMessage(entryName),
        field: [
          { name: 'key', number: 1, label: labelOptional, type: scalarTypes[keyType], json_name: 'key' },
          { ...this.#fieldType(field), name: 'value', number: 2, label: labelOptional, json_name: 'value' },
        ],
        options: { map_entry: true },
      })
      return {
        name: field.name,
        number: field.id,
        label: labelRepeated,
        type: typeMessage,
        type_name: `${type.fullName}.${entryName}`,
        json_name: toJsonName(field.name),
      }
    })
    return {
      ...emptyMessage(type.name),
      field: fields,
      nested_type: [...type.nestedArray.filter(isType).map((nested) => this.#message(nested)), ...mapEntries],
      enum_type: type.nestedArray.filter(isEnum).map((nested) => this.#enum(nested)),
      extension_range: (type.extensions ?? []).map(([start, end]) => ({ start, end: end + 1 })),
      options: type.options?.deprecated === true ? { deprecated: true } : undefined,
      oneof_decl: oneofs.map((oneof) => ({ name: oneof.name })),
      reserved_range: reservedRanges(type.reserved, 1),
      reserved_name: reservedNames(type.reserved),
    }
  }

  #fieldType(field: protobuf.Field): Pick<FieldDescriptorObject, 'type' | 'type_name'> {
    const scalar = scalarTypes[field.type]
    if (scalar !== undefined) return { type: scalar }
    const resolved = field.resolvedType
    if (resolved === null) throw new Error(`middy-grpc: ${field.fullName} has an unresolved type "${field.type}"`)
    return { type: isEnum(resolved) ? typeEnum : typeMessage, type_name: this.#reference(resolved) }
  }

  #field(field: protobuf.Field, oneofs: protobuf.OneOf[]): FieldDescriptorObject {
    const options = field.options ?? {}
    const proto3Optional = options.proto3_optional === true
    const fieldOptions = { packed: options.packed as boolean | undefined, deprecated: options.deprecated as boolean }
    const defaultValue = options.default as unknown
    // Field.rule is there at run time though protobufjs's typings leave it out.
    const { rule } = field as protobuf.Field & { rule?: string }
    return {
      name: field.name,
      number: field.id,
      label: rule === 'repeated' ? labelRepeated : rule === 'required' ? labelRequired : labelOptional,
      ...this.#fieldType(field),
      default_value: defaultValue === undefined ? undefined : String(defaultValue),
      options: fieldOptions.packed !== undefined || fieldOptions.deprecated !== undefined ? fieldOptions : undefined,
      oneof_index: field.partOf === null ? undefined : oneofs.indexOf(field.partOf),
      json_name: toJsonName(field.name),
      proto3_optional: proto3Optional ? true : undefined,
    }
  }

  #enum(type: protobuf.Enum): EnumDescriptorObject {
    this.#symbols.push(symbolName(type))
    const scope = type.parent === null ? '' : `${symbolName(type.parent)}.`
    for (const name of Object.keys(type.values)) this.#symbols.push(`${scope}${name}`.replace(/^\./, ''))
    const options = { allow_alias: type.options?.allow_alias, deprecated: type.options?.deprecated }
    return {
      name: type.name,
      value: Object.entries(type.values).map(([name, number]) => ({ name, number })),
      options: options.allow_alias !== undefined || options.deprecated !== undefined ? options : undefined,
      reserved_range: reservedRanges(type.reserved, 0),
      reserved_name: reservedNames(type.reserved),
    }
  }

  #service(service: protobuf.Service): ServiceDescriptorObject {
    this.#symbols.push(symbolName(service))
    return {
      name: service.name,
      method: service.methodsArray.map((method) => {
        this.#symbols.push(symbolName(method))
        const level = method.options?.idempotency_level as string | undefined
        const deprecated = method.options?.deprecated as boolean | undefined
        return {
          name: method.name,
          input_type: this.#reference(method.resolvedRequestType as protobuf.Type),
          output_type: this.#reference(method.resolvedResponseType as protobuf.Type),
          options:
            level !== undefined || deprecated !== undefined
              ? { deprecated, idempotency_level: level === undefined ? undefined : idempotencyLevels[level] }
              : undefined,
          client_streaming: method.requestStream === true ? true : undefined,
          server_streaming: method.responseStream === true ? true : undefined,
        }
      }),
      options: service.options?.deprecated === true ? { deprecated: true } : undefined,
    }
  }
}

function emptyMessage(name: string): MessageDescriptorObject {
  return {
    name,
    field: [],
    nested_type: [],
    enum_type: [],
    extension_range: [],
    oneof_decl: [],
    reserved_range: [],
    reserved_name: [],
  }
}

/** protobufjs keeps reserved ranges inclusive; a message's end is exclusive in the descriptor, an enum's is not. */
function reservedRanges(reserved: (number[] | string)[] | undefined, endOffset: number): Range[] {
  return (reserved ?? [])
    .filter((item): item is number[] => Array.isArray(item))
    .map(([start, end]) => ({ start, end: end + endOffset }))
}

function reservedNames(reserved: (number[] | string)[] | undefined): string[] {
  return (reserved ?? []).filter((item): item is string => typeof item === 'string')
}
