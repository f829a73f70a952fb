import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

/**
 * The conformance messages (test/conformance/service.proto, a subset of connectrpc.conformance.v1) and
 * google.rpc.Status, in one protobufjs root so that `google.protobuf.Any` resolves the types it wraps.
 */
const here = dirname(fileURLToPath(import.meta.url))
export const conformanceRoot = protobuf.loadSync([join(here, 'service.proto'), join(here, 'status.proto')])
conformanceRoot.resolveAll()

export const packageName = 'connectrpc.conformance.v1'
export const ConformanceService = conformanceRoot.lookupService(`${packageName}.ConformanceService`)
export const RequestInfo = conformanceRoot.lookupType(`${packageName}.ConformancePayload.RequestInfo`)
export const ConformancePayload = conformanceRoot.lookupType(`${packageName}.ConformancePayload`)
export const ErrorType = conformanceRoot.lookupType(`${packageName}.Error`)
export const AnyType = conformanceRoot.lookupType('google.protobuf.Any')
export const StatusType = conformanceRoot.lookupType('google.rpc.Status')

export const typeUrlPrefix = 'type.googleapis.com/'

/** A google.protobuf.Any as protobufjs holds it. */
export interface AnyMessage {
  type_url: string
  value: Uint8Array
}

export interface HeaderMessage {
  name: string
  value: string[]
}

/** The message type named by an Any's type URL, or undefined when this root does not declare it. */
export function lookupAnyType(typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1)
  try {
    return conformanceRoot.lookupType(name)
  } catch {
    return undefined
  }
}

export function toAny(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): AnyMessage {
  const value = type.encode(message instanceof protobuf.Message ? message : type.fromObject(message)).finish()
  return { type_url: typeUrlPrefix + type.fullName.replace(/^\./, ''), value }
}

export function anyTypeName(any: AnyMessage): string {
  return any.type_url.slice(any.type_url.lastIndexOf('/') + 1)
}

/**
 * A message as a plain object for comparison: proto3 semantics (unset and default-valued scalars are the same),
 * presence kept for oneof members and `optional` fields, Any values unpacked, bytes base64, 64-bit integers as
 * strings. Two messages are equal when their canonical JSON is.
 */
export function canonical(type: protobuf.Type, message: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of type.fieldsArray) {
    field.resolve()
    const value = message[field.name]
    if (value === null || value === undefined) continue
    if (field.map) {
      const entries = Object.keys(value).sort()
      if (entries.length > 0)
        out[field.name] = Object.fromEntries(entries.map((k) => [k, canonicalValue(field, value[k])]))
      continue
    }
    if (field.repeated) {
      if (value.length > 0) out[field.name] = Array.from(value, (item) => canonicalValue(field, item))
      continue
    }
    const hasPresence = field.partOf != null || field.resolvedType instanceof protobuf.Type
    if (hasPresence) {
      if (!Object.hasOwn(message, field.name)) continue
    } else if (isDefault(value)) {
      continue
    }
    out[field.name] = canonicalValue(field, value)
  }
  return out
}

function canonicalValue(field: protobuf.Field, value: any): unknown {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === '.google.protobuf.Any') return canonicalAny(value as AnyMessage)
    return canonical(resolved, value)
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    return protobuf.util.LongBits.from(value).toNumber(Boolean(value.unsigned)).toString()
  }
  if (
    field.type === 'int64' ||
    field.type === 'uint64' ||
    field.type === 'sint64' ||
    field.type === 'fixed64' ||
    field.type === 'sfixed64'
  ) {
    return String(value)
  }
  return value
}

export function canonicalAny(any: AnyMessage): Record<string, unknown> {
  const type = lookupAnyType(any.type_url)
  if (type === undefined) return { '@type': any.type_url, value: Buffer.from(any.value ?? []).toString('base64') }
  return { '@type': anyTypeName(any), ...canonical(type, type.decode(any.value ?? new Uint8Array(0)) as any) }
}

function isDefault(value: unknown): boolean {
  if (value === 0 || value === '' || value === false) return true
  if (value instanceof Uint8Array) return value.byteLength === 0
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    return (value as { low: number; high: number }).low === 0 && (value as { low: number; high: number }).high === 0
  }
  return false
}

/** Canonical JSON text of a message, for equality checks and failure messages. */
export function canonicalText(type: protobuf.Type, message: Record<string, any>): string {
  return JSON.stringify(canonical(type, message))
}
