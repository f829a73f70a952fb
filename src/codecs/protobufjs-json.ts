import { createRequire } from 'node:module'
import protobuf from 'protobufjs/light.js'
import type { MessageType } from './protobufjs.js'

/**
 * Proto3 JSON. protobufjs 8.6+ ships the canonical mapping (`protobufjs/ext/protojson`: lowerCamel names emitted,
 * original names accepted, int64 as strings, bytes as base64, enums by name, well-known types). On older protobufjs
 * the fallback is `toObject`/`fromObject` with JSON-friendly options: well-known types other than Any keep their
 * message form, and field names are whatever protobufjs loaded (lowerCamel unless `keepCase`).
 */
interface ProtoJson {
  fromJson(type: protobuf.Type, json: unknown, options?: { ignoreUnknownFields?: boolean }): object
  toJson(type: protobuf.Type, message: object): unknown
}

let protoJson: ProtoJson | null | undefined

const ownProtoJson = (): ProtoJson | undefined => (protobuf as unknown as { protojson?: ProtoJson }).protojson

function loadProtoJson(): ProtoJson | null {
  if (protoJson === undefined) {
    try {
      // protojson attaches itself to the protobufjs that loaded it. In a bundle the copy `require` finds may not be
      // the bundled one this module reflects with, so only the mapping attached to our copy is used.
      if (!ownProtoJson()) createRequire(import.meta.url)('protobufjs/ext/protojson')
    } catch {}
    protoJson = ownProtoJson() ?? null
  }
  return protoJson
}

/** True when the canonical proto3 JSON mapping of protobufjs 8.6+ is in use. */
export function hasCanonicalJson(): boolean {
  return loadProtoJson() !== null
}

const toObjectOptions: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true }

/** Parses JSON text into a message. Unknown fields are ignored, as connect-go and the Twirp Go server do. */
export function parseJsonMessage<T>(type: MessageType<T>, text: string): T {
  const json: unknown = JSON.parse(text)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('a message must be a JSON object')
  }
  const canonical = loadProtoJson()
  if (canonical !== null && type instanceof protobuf.Type) {
    return canonical.fromJson(type, json, { ignoreUnknownFields: true }) as T
  }
  return type.fromObject(
    (type instanceof protobuf.Type ? acceptOriginalNames(type, json) : json) as Record<string, unknown>,
  )
}

/** Formats a message (or plain object) as JSON text; `protoNames` emits the .proto field names, as Twirp's Go server. */
export function formatJsonMessage(type: MessageType, message: unknown, protoNames: boolean): string {
  // fromObject first, as for binary replies: a reply of the wrong shape fails here instead of leaving as odd JSON.
  const converted = type.fromObject(message as Record<string, unknown>)
  const canonical = loadProtoJson()
  if (canonical !== null && type instanceof protobuf.Type) {
    const json = canonical.toJson(type, converted as object)
    return JSON.stringify(protoNames ? renameFields(type, json, (field) => field.protoName ?? field.name) : json)
  }
  const converter = (type as MessageType & { toObject?: protobuf.Type['toObject'] }).toObject
  if (typeof converter !== 'function') throw new TypeError('the message type has no toObject for JSON')
  return JSON.stringify(converter.call(type, converted as protobuf.Message, toObjectOptions))
}

type FieldWithNames = protobuf.Field & { protoName?: string; jsonName?: string }

/** The fallback parser only knows protobufjs's field names; snake_case keys are mapped onto them too. */
function acceptOriginalNames(type: protobuf.Type, json: object): object {
  return renameFields(
    type,
    json,
    (field) => field.name,
    (key) => protobuf.util.camelCase(key),
  ) as object
}

/**
 * Renames the keys of a JSON message, recursing into message, repeated and map fields. Well-known types (the
 * google.protobuf package) are left alone: their JSON is not an object of fields.
 */
function renameFields(
  type: protobuf.Type,
  json: unknown,
  targetName: (field: FieldWithNames) => string,
  alias?: (key: string) => string,
  depth = 0,
): unknown {
  if (
    typeof json !== 'object' ||
    json === null ||
    Array.isArray(json) ||
    type.fullName.startsWith('.google.protobuf.')
  ) {
    return json
  }
  // protobufjs's own limit: deeper messages fail there anyway, and must not overflow the stack here first.
  if (depth > ((protobuf.util as { recursionLimit?: number }).recursionLimit ?? 100))
    throw new Error('maximum nesting depth exceeded')
  // No prototype: a "__proto__" key stays an ordinary (unknown, ignored) key instead of becoming the prototype.
  const renamed: Record<string, unknown> = Object.create(null)
  for (const [key, value] of Object.entries(json)) {
    const field = findField(type, key) ?? (alias === undefined ? undefined : findField(type, alias(key)))
    if (field === undefined) {
      renamed[key] = value
      continue
    }
    const nested = field.resolve().resolvedType
    let converted = value
    if (nested instanceof protobuf.Type && value !== null && typeof value === 'object') {
      if (field.map) {
        converted = Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, renameFields(nested, v, targetName, alias, depth + 1)]),
        )
      } else if (Array.isArray(value)) {
        converted = value.map((item) => renameFields(nested, item, targetName, alias, depth + 1))
      } else {
        converted = renameFields(nested, value, targetName, alias, depth + 1)
      }
    }
    renamed[targetName(field)] = converted
  }
  return renamed
}

function findField(type: protobuf.Type, key: string): FieldWithNames | undefined {
  // Own properties only: `__proto__` or `constructor` in a request must not find Object.prototype's.
  const byName = Object.hasOwn(type.fields, key) ? (type.fields[key] as FieldWithNames) : undefined
  if (byName !== undefined) return byName
  return type.fieldsArray.find((field: FieldWithNames) => field.jsonName === key || field.protoName === key)
}
