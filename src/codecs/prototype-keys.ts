import protobuf from 'protobufjs/light.js'

/** Deletes the `__proto__` keys of a decoded message's maps, at any depth. */
export type PrototypeKeyDropper = (message: object) => void

/**
 * protobufjs keeps `map<>` fields in plain objects and gives a map key `__proto__` an own property of that name (or,
 * on older versions, the object a prototype). Harmless where it is, it turns hostile when the map is copied:
 * `Object.assign({}, message.labels)` or `{ ...x }` into an object gives the copy an attacker-chosen prototype. Such
 * keys are dropped from every decoded message, binary or JSON, before the handler sees it.
 *
 * Built once per type: `undefined` for a type that can reach no map field (most), so its messages are not walked.
 */
export function prototypeKeyDropper(type: protobuf.Type): PrototypeKeyDropper | undefined {
  return droppers.has(type) ? droppers.get(type) : buildDropper(type)
}

const { emptyObject, emptyArray } = protobuf.util as unknown as { emptyObject: object; emptyArray: unknown[] }
const droppers = new WeakMap<protobuf.Type, PrototypeKeyDropper | undefined>()

/**
 * Generated code, as protobufjs's own decoders are: constant-key reads of the fields that can hold a map, the maps
 * cleaned, nested messages that can reach a map handed to their type's dropper (looked up on first use: a recursive
 * type's is still being built when its fields are).
 */
function buildDropper(type: protobuf.Type): PrototypeKeyDropper | undefined {
  if (!reachesMap(type, new Set())) {
    droppers.set(type, undefined)
    return undefined
  }
  const nestedTypes: protobuf.Type[] = []
  // Unset maps and lists are protobufjs's shared, frozen empty ones: nothing to walk.
  let body = 'var v, x, i, keys\n'
  for (const field of type.fieldsArray) {
    const resolved = field.resolve().resolvedType
    const nested = resolved instanceof protobuf.Type && reachesMap(resolved, new Set()) ? resolved : undefined
    if (!field.map && nested === undefined) continue
    const drop =
      nested === undefined
        ? ''
        : `(d[${nestedTypes.length}] || (d[${nestedTypes.length}] = r(${nestedTypes.length})))(x)`
    if (nested !== undefined) nestedTypes.push(nested)
    body += `v = m[${JSON.stringify(field.name)}]\n`
    body += "if (typeof v === 'object' && v !== null && v !== eO && v !== eA) {\n"
    if (field.map) {
      body += 'k(v)\n'
      if (drop !== '') {
        body += 'keys = Object.keys(v)\n'
        body += `for (i = 0; i < keys.length; i++) { x = v[keys[i]]; if (typeof x === 'object' && x !== null) ${drop} }\n`
      }
    } else if (field.repeated) {
      body += `for (i = 0; i < v.length; i++) { x = v[i]; if (typeof x === 'object' && x !== null) ${drop} }\n`
    } else {
      body += `x = v; ${drop}\n`
    }
    body += '}\n'
  }
  const dropper = new Function('k', 'r', 'd', 'eO', 'eA', `return function drop(m) {\n${body}}`)(
    dropPrototypeKey,
    (index: number) => prototypeKeyDropper(nestedTypes[index]),
    [],
    emptyObject,
    emptyArray,
  ) as PrototypeKeyDropper
  droppers.set(type, dropper)
  return dropper
}

/** Removes an own `__proto__` key and, should the object have been given another prototype, restores its own. */
function dropPrototypeKey(map: object): void {
  if (Object.hasOwn(map, '__proto__')) Reflect.deleteProperty(map, '__proto__')
  const prototype = Object.getPrototypeOf(map)
  if (prototype !== Object.prototype && prototype !== null) Object.setPrototypeOf(map, Object.prototype)
}

function reachesMap(type: protobuf.Type, seen: Set<protobuf.Type>): boolean {
  if (seen.has(type)) return false
  seen.add(type)
  for (const field of type.fieldsArray) {
    if (field.map) return true
    const resolved = field.resolve().resolvedType
    if (resolved instanceof protobuf.Type && reachesMap(resolved, seen)) return true
  }
  return false
}

const prototypeKeyBytes = new TextEncoder().encode('__proto__')

/**
 * For families whose decoders this package does not generate (protobuf-es, ts-proto): a decoded message is walked,
 * and its plain objects lose an own `__proto__` key and any prototype a map key gave them, only when the request
 * names `__proto__` at all (a substring search, far cheaper than the walk; in JSON text, any `\u` escape counts), so
 * ordinary requests pay one scan.
 */
export function dropPrototypeKeysIfNamed<T>(message: T, input: Uint8Array | string): T {
  const named =
    typeof input === 'string'
      ? input.includes('__proto__') || input.includes('\\u') // a JSON key may spell it with escapes
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).indexOf(prototypeKeyBytes) !== -1
  if (named) dropPrototypeKeysDeep(message, new Set())
  return message
}

function dropPrototypeKeysDeep(value: unknown, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value)) return
  seen.add(value)
  if (Object.hasOwn(value, '__proto__')) Reflect.deleteProperty(value, '__proto__')
  // A map key `__proto__` may have made a decoded value the map's prototype; a class's prototype (Date, Array) stays.
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== null && prototype !== Object.prototype && !Object.hasOwn(prototype, 'constructor')) {
    Object.setPrototypeOf(value, Object.prototype)
  }
  for (const key of Object.keys(value)) dropPrototypeKeysDeep((value as Record<string, unknown>)[key], seen)
}
