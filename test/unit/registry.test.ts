import protobuf from 'protobufjs'
import { grpcMessages } from '../../src/middlewares/messages.js'
import { listRegisteredServices, registerService } from '../../src/registry.js'

const root = protobuf.Root.fromJSON({
  nested: {
    r: {
      nested: {
        Svc: { methods: { Do: { requestType: 'M', responseType: 'M', comment: null } } },
        M: { fields: {} },
      },
    },
  },
} as protobuf.INamespace)
const Svc = root.lookupService('r.Svc')

test('grpcMessages registers its service once, on globalThis under a registered symbol', () => {
  grpcMessages({ service: Svc })
  grpcMessages({ service: Svc, method: 'Do' })
  expect(listRegisteredServices().filter((service) => service === Svc)).toHaveLength(1)
  const shared = (globalThis as Record<symbol, unknown>)[Symbol.for('middy-grpc.services')] as Set<unknown>
  expect(shared.has(Svc)).toBe(true)
})

test('another copy of the package (the same symbol) sees the same registry', () => {
  const other = { methods: {} }
  ;((globalThis as Record<symbol, unknown>)[Symbol.for('middy-grpc.services')] as Set<unknown>).add(other)
  expect(listRegisteredServices()).toContain(other)
  registerService(other)
  expect(listRegisteredServices().filter((service) => service === other)).toHaveLength(1)
})
