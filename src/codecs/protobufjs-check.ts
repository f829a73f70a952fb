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

/**
 * The check is generated code, as protobufjs's own encoders are: one constant-key read per field and, for a single
 * scalar of its usual JSON type (a string for a string, a 32-bit integer for an int32, ...), one `typeof` test, so that
 * checking a well-typed reply costs about as much as reading it. Anything else goes through the field's full check.
 */
function buildCheck(type: protobuf.Type): ReplyCheck {
  const labels: string[] = []
  const checks: ValueCheck[] = []
  let body = 'var v, p\n'
  for (const field of type.fieldsArray) {
    const index = checks.length
    labels.push(`${type.fullName.slice(1)}.${field.name}`)
    checks.push(fieldCheck(field))
    const fast = field.repeated || field.map ? undefined : fastTests[field.type]
    body += `v = m[${JSON.stringify(field.name)}]\n`
    body += `if (v != null${fast === undefined ? '' : ` && !(${fast})`} && (p = c[${index}](v)) !== undefined) f(${index}, p)\n`
  }
  const fail = (index: number, problem: string): never => {
    throw new TypeError(`${labels[index]}: ${problem}`)
  }
  return new Function('c', 'f', `return function check(m) {\n${body}}`)(checks, fail) as ReplyCheck
}

/** JavaScript tests of `v` for the usual JSON type of a scalar field; the full check decides when one fails. */
const fastTests: Record<string, string> = {
  string: "typeof v === 'string'",
  bool: "typeof v === 'boolean'",
  double: "typeof v === 'number'",
  float: "typeof v === 'number'",
  int32: "typeof v === 'number' && (v | 0) === v",
  sint32: "typeof v === 'number' && (v | 0) === v",
  sfixed32: "typeof v === 'number' && (v | 0) === v",
  uint32: "typeof v === 'number' && v >>> 0 === v",
  fixed32: "typeof v === 'number' && v >>> 0 === v",
}

/** The whole check of one field's set value: a list's items, a map's values, or the value. */
function fieldCheck(field: protobuf.Field): ValueCheck {
  const value = valueCheck(field)
  if (field.map) {
    return (map) => {
      if (typeof map !== 'object' || map === null || Array.isArray(map)) return `${describe(map)} is not a map`
      for (const key in map) {
        const problem = value((map as Record<string, unknown>)[key])
        if (problem !== undefined) return problem
      }
      return undefined
    }
  }
  if (field.repeated) {
    return (list) => {
      if (!Array.isArray(list)) return `${describe(list)} is not a list`
      for (let i = 0; i < list.length; i++) {
        const problem = value(list[i])
        if (problem !== undefined) return problem
      }
      return undefined
    }
  }
  return value
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
