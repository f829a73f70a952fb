import { Metadata } from '../../../src/metadata.js'
import { copyMetadata } from '../../../src/protocol/headers.js'

describe('copyMetadata', () => {
  test('skips protocol headers, joins repeated names, sends -bin values unpadded', () => {
    const target: Record<string, string> = { 'x-a': 'first' }
    const metadata = new Metadata()
    metadata.append('x-a', 'second')
    metadata.append('content-type', 'text/plain')
    metadata.append('grpc-status', '3')
    metadata.append('x-id-bin', 'AAE=')
    copyMetadata(target, metadata)
    expect(target).toEqual({ 'x-a': 'first, second', 'x-id-bin': 'AAE' })
  })

  test('nothing to copy leaves the target alone', () => {
    const target = { a: '1' }
    copyMetadata(target, undefined)
    copyMetadata(target, new Metadata())
    expect(target).toEqual({ a: '1' })
  })
})
