import { dirname, isAbsolute, relative, sep } from 'node:path'
import type protobuf from 'protobufjs'
import { type ServiceDefinition, isReflectionService, isTypedService } from '../methods.js'
import { listRegisteredServices } from '../registry.js'
import {
  type Declaration,
  type FileDescriptor,
  FileBuilder,
  isEnum,
  isNamespace,
  isService,
  isType,
  symbolName,
} from './file-builder.js'

export type { FileDescriptor }

export interface DescribedServices {
  /** Every service the handler serves, described or not (ts-proto, pbjs static and method tables carry none). */
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

/**
 * Describes the services as FileDescriptorProtos: for protobufjs reflection services, every file of their roots
 * (grouped by each declaration's file name, relative to the roots' common directory), with the well-known types
 * they use; for typed services, the files they describe themselves (protobuf-es). Field names are the ones protobufjs kept (lowerCamel unless the root was loaded with `keepCase`).
 */
export function describeServices(services: readonly ServiceDefinition[]): DescribedServices {
  const serviceNames = new Set<string>()
  const roots = new Set<protobuf.Root>()
  const files = new Map<string, FileDescriptor>()
  for (const service of services) {
    if (isTypedService(service)) {
      serviceNames.add(service.typeName)
      for (const file of service.describeFiles?.() ?? []) if (!files.has(file.name)) files.set(file.name, file)
    } else if (isReflectionService(service)) {
      serviceNames.add(symbolName(service))
      roots.add(service.root)
    } else {
      for (const path of Object.keys(service.methods)) serviceNames.add(path.split('/')[1])
    }
  }
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
