import protobuf from 'protobufjs/light.js'

/** Throws a TypeError naming the field when a reply holds a value its field's type cannot take without loss. */
export type ReplyCheck = (message: object) => void

/**
 * protobufjs's `fromObject` converts whatever it is given: `{}` into a string field becomes `"[object Object]"`,
 * `'abc'` into an int64 becomes 0, `'false'` into a bool becomes true. A reply is checked before it is converted:
 * values of the field's JSON type pass, and what the proto3 JSON mapping also accepts (numbers as numeric strings,
 * 64-bit integers as strings, bigints or Longs, bytes as base64 text, enums by name or number); anything else fails.
 * Unset fields (`undefined`, `null`) and keys that are not fields are left to `fromObject`, as before.
 *
 * Built once per type, when the codec is made; nested types are looked up on first use (types may be recursive).
 */
export function replyCheck(type: protobuf.Type): ReplyCheck {
  let check = checks.get(type)
  if (check === undefined) {
    check = buildCheck(type)
    checks.set(type, check)
  }
  return check
}

const checks = new WeakMap<protobuf.Type, ReplyCheck>()

type ValueCheck = (value: unknown) => string | undefined

function buildCheck(type: protobuf.Type): ReplyCheck {
  const fields: { name: string; label: string; repeated: boolean; map: boolean; value: ValueCheck }[] = []
  for (const field of type.fieldsArray) {
    fields.push({
      name: field.name,
      label: `${type.fullName.slice(1)}.${field.name}`,
      repeated: field.repeated && !field.map,
      map: field.map,
      value: valueCheck(field),
    })
  }
  return (message) => {
    for (const field of fields) {
      const value = (message as Record<string, unknown>)[field.name]
      if (value === undefined || value === null) continue
      let problem: string | undefined
      if (field.repeated) {
        if (!Array.isArray(value)) problem = `${describe(value)} is not a list`
        else for (let i = 0; i < value.length && problem === undefined; i++) problem = field.value(value[i])
      } else if (field.map) {
        if (typeof value !== 'object' || Array.isArray(value)) problem = `${describe(value)} is not a map`
        else for (const key in value) problem ??= field.value((value as Record<string, unknown>)[key])
      } else {
        problem = field.value(value)
      }
      if (problem !== undefined) throw new TypeError(`${field.label}: ${problem}`)
    }
  }
}

function valueCheck(field: protobuf.Field): ValueCheck {
  const resolved = field.resolve().resolvedType
  if (resolved instanceof protobuf.Type) {
    return (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return `${describe(value)} is not a message`
      replyCheck(resolved)(value)
      return undefined
    }
  }
  if (resolved instanceof protobuf.Enum) {
    const names = resolved.values
    return (value) =>
      (typeof value === 'number' && Number.isInteger(value)) ||
      (typeof value === 'string' && Object.hasOwn(names, value))
        ? undefined
        : `${describe(value)} is not a value of ${resolved.name}`
  }
  return scalarChecks[field.type] ?? (() => undefined)
}

const integer32 = (min: number, max: number): ValueCheck => {
  const inRange = (n: number) => Number.isInteger(n) && n >= min && n <= max
  return (value) => {
    if (typeof value === 'number' && inRange(value)) return undefined
    if (typeof value === 'string' && value.trim() !== '' && inRange(Number(value))) return undefined
    return `${describe(value)} is not a 32-bit integer in range`
  }
}

const integer64 = (signed: boolean): ValueCheck => {
  const digits = signed ? /^-?\d+$/ : /^\d+$/
  return (value) => {
    if (typeof value === 'number' && Number.isInteger(value) && (signed || value >= 0)) return undefined
    if (typeof value === 'string' && digits.test(value)) return undefined
    if (typeof value === 'bigint' && (signed || value >= 0n)) return undefined
    if (isLong(value)) return undefined
    return `${describe(value)} is not a 64-bit integer`
  }
}

const floating: ValueCheck = (value) => {
  if (typeof value === 'number') return undefined
  if (
    typeof value === 'string' &&
    (/^(NaN|-?Infinity)$/.test(value) || (value.trim() !== '' && !Number.isNaN(Number(value))))
  )
    return undefined
  return `${describe(value)} is not a number`
}

const scalarChecks: Record<string, ValueCheck> = {
  double: floating,
  float: floating,
  int32: integer32(-(2 ** 31), 2 ** 31 - 1),
  sint32: integer32(-(2 ** 31), 2 ** 31 - 1),
  sfixed32: integer32(-(2 ** 31), 2 ** 31 - 1),
  uint32: integer32(0, 2 ** 32 - 1),
  fixed32: integer32(0, 2 ** 32 - 1),
  int64: integer64(true),
  sint64: integer64(true),
  sfixed64: integer64(true),
  uint64: integer64(false),
  fixed64: integer64(false),
  bool: (value) => (typeof value === 'boolean' ? undefined : `${describe(value)} is not a boolean`),
  string: (value) => (typeof value === 'string' ? undefined : `${describe(value)} is not a string`),
  bytes: (value) =>
    value instanceof Uint8Array || typeof value === 'string' || Array.isArray(value)
      ? undefined
      : `${describe(value)} is not bytes`,
}

/** A long.js Long (protobufjs's 64-bit integers) or anything shaped like one. */
function isLong(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { low?: unknown }).low === 'number' &&
    typeof (value as { high?: unknown }).high === 'number'
  )
}

/** The kind of a value, never its contents: the text goes to the log, not to the client, but stays short. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
