import { dirname, isAbsolute, relative, sep } from 'node:path'
import type protobuf from 'protobufjs'
import { type ServiceDefinition, isReflectionService, isTypedService } from '../methods.js'
import { listRegisteredServices } from '../registry.js'
import {
  type EnumDescriptorObject,
  type FieldDescriptorObject,
  type FileDescriptorObject,
  type MessageDescriptorObject,
  type Range,
  type ServiceDescriptorObject,
  getFileDescriptorType,
} from './descriptor-types.js'

/** One .proto file as gRPC reflection hands it out. Plain data, so that it can cross a worker boundary. */
export interface FileDescriptor {
  /** The import path, `hello/v1/greeter.proto`. */
  name: string
  /** The encoded google.protobuf.FileDescriptorProto. */
  proto: Uint8Array
  /** The names of the files it imports. */
  dependencies: string[]
  /** What it declares, fully qualified without the leading dot: services, methods, messages, fields, enums, values. */
  symbols: string[]
}

export interface DescribedServices {
  /** Every service the handler serves, described or not (typed services and method tables carry no descriptors). */
  serviceNames: string[]
  /** The files that declare the described services, with every file they depend on. */
  files: FileDescriptor[]
}

/** Where protobufjs's bundled well-known types (which carry no file name) come from. */
const wellKnownFiles: Record<string, string> = {
  Any: 'any',
  Duration: 'duration',
  Empty: 'empty',
  FieldMask: 'field_mask',
  Struct: 'struct',
  Value: 'struct',
  ListValue: 'struct',
  NullValue: 'struct',
  Timestamp: 'timestamp',
  DoubleValue: 'wrappers',
  FloatValue: 'wrappers',
  Int64Value: 'wrappers',
  UInt64Value: 'wrappers',
  Int32Value: 'wrappers',
  UInt32Value: 'wrappers',
  BoolValue: 'wrappers',
  StringValue: 'wrappers',
  BytesValue: 'wrappers',
}

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

type Declaration = protobuf.Type | protobuf.Enum | protobuf.Service

const isType = (object: protobuf.ReflectionObject): object is protobuf.Type => 'fieldsArray' in object
const isEnum = (object: protobuf.ReflectionObject): object is protobuf.Enum => 'valuesById' in object
const isService = (object: protobuf.ReflectionObject): object is protobuf.Service => 'methodsArray' in object
const isNamespace = (object: protobuf.ReflectionObject): object is protobuf.Namespace => 'nestedArray' in object
const symbolName = (object: protobuf.ReflectionObject): string => object.fullName.replace(/^\./, '')

/**
 * Describes the services as FileDescriptorProtos: for protobufjs reflection services, every file of their roots
 * (grouped by each declaration's file name, relative to the roots' common directory), with the well-known types
 * they use. Field names are the ones protobufjs kept (lowerCamel unless the root was loaded with `keepCase`).
 */
export function describeServices(services: readonly ServiceDefinition[]): DescribedServices {
  const serviceNames = new Set<string>()
  const roots = new Set<protobuf.Root>()
  for (const service of services) {
    if (isTypedService(service)) {
      serviceNames.add(service.typeName)
    } else if (isReflectionService(service)) {
      serviceNames.add(symbolName(service))
      roots.add(service.root)
    } else {
      for (const path of Object.keys(service.methods)) serviceNames.add(path.split('/')[1])
    }
  }
  const files = new Map<string, FileDescriptor>()
  for (const root of roots) {
    // A file name seen in an earlier root wins: reflection hands out one file per name.
    for (const file of describeRoot(root)) if (!files.has(file.name)) files.set(file.name, file)
  }
  return { serviceNames: [...serviceNames], files: [...files.values()] }
}

let registered: { count: number; described: DescribedServices } | undefined

/** describeServices of the services registered in this process, described again when more have registered since. */
export function describeRegisteredServices(): DescribedServices {
  const services = listRegisteredServices()
  if (registered?.count !== services.length)
    registered = { count: services.length, described: describeServices(services) }
  return registered.described
}

/** The files of one protobufjs root. */
export function describeRoot(root: protobuf.Root): FileDescriptor[] {
  root.resolveAll()
  const declarations: { declaration: Declaration; packageName: string }[] = []
  collectDeclarations(root, declarations)
  const absolute = declarations.map(({ declaration }) => declaration.filename).filter(isAbsoluteName)
  const base = commonDirectory(absolute)
  const fileNameOf = (declaration: Declaration, packageName: string): string => {
    const { filename } = declaration
    if (filename !== null && filename !== undefined)
      return isAbsoluteName(filename) ? relative(base, filename).split(sep).join('/') : filename
    const wellKnown = packageName === 'google.protobuf' ? wellKnownFiles[declaration.name] : undefined
    return wellKnown !== undefined ? `google/protobuf/${wellKnown}.proto` : `${packageName || 'default'}.proto`
  }
  const byFile = new Map<string, { packageName: string; declarations: Declaration[] }>()
  const fileOfSymbol = new Map<string, string>()
  for (const { declaration, packageName } of declarations) {
    const name = fileNameOf(declaration, packageName)
    let file = byFile.get(name)
    if (file === undefined) {
      file = { packageName, declarations: [] }
      byFile.set(name, file)
    }
    file.declarations.push(declaration)
    fileOfSymbol.set(declaration.fullName, name)
  }
  return [...byFile].map(([name, { packageName, declarations: declared }]) => {
    const file = new FileBuilder(name, packageName, (type) => fileOfSymbol.get(topLevelOf(type).fullName))
    return file.build(declared)
  })
}

function isAbsoluteName(name: string | null | undefined): name is string {
  return typeof name === 'string' && isAbsolute(name)
}

function commonDirectory(paths: readonly string[]): string {
  if (paths.length === 0) return ''
  let base = dirname(paths[0])
  while (!paths.every((path) => path.startsWith(base.endsWith(sep) ? base : base + sep)) && dirname(base) !== base)
    base = dirname(base)
  return base
}

/** Types, enums and services declared at package level, in declaration order. */
function collectDeclarations(
  namespace: protobuf.Namespace,
  out: { declaration: Declaration; packageName: string }[],
): void {
  for (const child of namespace.nestedArray) {
    if (isType(child) || isEnum(child) || isService(child))
      out.push({ declaration: child, packageName: symbolName(namespace) })
    else if (isNamespace(child)) collectDeclarations(child, out)
  }
}

function topLevelOf(object: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let current = object
  while (current.parent !== null && (isType(current.parent) || isEnum(current.parent))) current = current.parent
  return current
}

/** protoc's json_name: underscores dropped, the letter after each one upper-cased. */
export function toJsonName(name: string): string {
  return name.replace(/_+(.?)/g, (_, next: string) => next.toUpperCase())
}

class FileBuilder {
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
