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

interface FieldWalk {
  name: string
  map: boolean
  repeated: boolean
  /** The nested message type, when it can reach a map itself. */
  nested: protobuf.Type | undefined
  /** Its dropper, looked up on first use (a recursive type's is still being built when its fields are). */
  dropper?: PrototypeKeyDropper
}

function buildDropper(type: protobuf.Type): PrototypeKeyDropper | undefined {
  if (!reachesMap(type, new Set())) {
    droppers.set(type, undefined)
    return undefined
  }
  const walks: FieldWalk[] = []
  const dropper: PrototypeKeyDropper = (message) => {
    for (let i = 0; i < walks.length; i++) {
      const walk = walks[i]
      const value = (message as Record<string, unknown>)[walk.name]
      // Unset maps and lists are protobufjs's shared, frozen empty ones: nothing to walk.
      if (typeof value !== 'object' || value === null || value === emptyObject || value === emptyArray) continue
      if (walk.map) dropPrototypeKey(value)
      if (walk.nested === undefined) continue
      walk.dropper ??= prototypeKeyDropper(walk.nested) as PrototypeKeyDropper
      if (walk.map) {
        const keys = Object.keys(value)
        for (let k = 0; k < keys.length; k++) dropNested(walk.dropper, (value as Record<string, unknown>)[keys[k]])
      } else if (walk.repeated) {
        const items = value as unknown[]
        for (let k = 0; k < items.length; k++) dropNested(walk.dropper, items[k])
      } else {
        walk.dropper(value)
      }
    }
  }
  // Registered before the fields are resolved: a recursive type finds its own dropper.
  droppers.set(type, dropper)
  for (const field of type.fieldsArray) {
    const resolved = field.resolve().resolvedType
    const nested = resolved instanceof protobuf.Type && reachesMap(resolved, new Set()) ? resolved : undefined
    if (field.map || nested !== undefined) {
      walks.push({ name: field.name, map: field.map, repeated: field.repeated, nested })
    }
  }
  return dropper
}

function dropNested(dropper: PrototypeKeyDropper, value: unknown): void {
  if (typeof value === 'object' && value !== null) dropper(value)
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
