import { detectEventShape } from '../../../src/event/shape.js'
import { httpFixtures, loadEvent } from '../../fixtures/load-event.js'

describe('detectEventShape', () => {
  test.each(Object.entries(httpFixtures))('%s: %s.json', (shape, fixture) => {
    expect(detectEventShape(loadEvent(fixture))).toBe(shape)
  })

  test.each(['sqs', 'eventbridge-scheduled', 'websocket-connect'] as const)(
    '%s.json is not an HTTP event',
    (fixture) => {
      expect(detectEventShape(loadEvent(fixture))).toBeUndefined()
    },
  )

  test.each([undefined, null, 'GET /', 42, {}, { httpMethod: 'POST' }, { requestContext: null }])(
    '%p is not an HTTP event',
    (event) => {
      expect(detectEventShape(event)).toBeUndefined()
    },
  )

  test('an HTTP API v2 event on a custom domain is still v2', () => {
    const event = loadEvent('http-api-v2')
    event.requestContext.domainName = 'api.example.com'
    expect(detectEventShape(event)).toBe('v2')
  })

  test('an ALB event with an empty multiValueHeaders object is multi-value', () => {
    const event = loadEvent('alb-multi-value')
    event.multiValueHeaders = {}
    expect(detectEventShape(event)).toBe('alb-multi')
  })
})
