import type { ServiceDefinition } from './methods.js'

/**
 * The services every grpcMessages instance of this process serves, so that the dev server can describe them (gRPC
 * reflection, health). Kept on globalThis under a registered symbol: the dev server and the handler may load two
 * copies of this package (its dist and the handler's dependency), which must see one registry.
 */
const registryKey = Symbol.for('middy-grpc.services')

function registry(): Set<ServiceDefinition> {
  const global = globalThis as { [registryKey]?: Set<ServiceDefinition> }
  global[registryKey] ??= new Set()
  return global[registryKey]
}

/** Records a service a middleware serves (once per definition object). */
export function registerService(service: ServiceDefinition): void {
  registry().add(service)
}

/** The services registered so far, in registration order. */
export function listRegisteredServices(): ServiceDefinition[] {
  return [...registry()]
}
