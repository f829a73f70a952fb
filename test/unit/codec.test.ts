import { type MessageCodec, PendingReply, decodeMessage, encodeMessage } from '../../src/codec.js'
import { GrpcError, MalformedMessageError } from '../../src/grpc-error.js'
import { Status } from '../../src/status.js'

/** A codec of a made-up family: the message is its text, in both formats. */
const textCodec: MessageCodec<{ text: string }> = {
  decodeBinary: (bytes) => ({ text: Buffer.from(bytes).toString('latin1') }),
  decodeJson: (text) => JSON.parse(text) as { text: string },
  encodeBinary: (message) => Buffer.from((message as { text: string }).text, 'latin1'),
  encodeJson: (message, protoNames) => JSON.stringify({ ...(message as object), protoNames }),
}
const failing: MessageCodec = {
  decodeBinary: () => {
    throw new Error('bad wire type')
  },
  decodeJson: () => {
    throw new Error('bad field')
  },
  encodeBinary: () => {
    throw new Error('not a number')
  },
  encodeJson: () => {
    throw new Error('not a number')
  },
}

/** A real stack overflow: V8's RangeError, not one made up. */
function overflow(): never {
  return overflow()
}

describe('decodeMessage', () => {
  test('binary goes to decodeBinary, JSON to decodeJson as UTF-8 text', () => {
    expect(decodeMessage(textCodec, Buffer.from('hi'), 'proto')).toEqual({ text: 'hi' })
    expect(decodeMessage(textCodec, Buffer.from('{"text":"☺"}'), 'json')).toEqual({ text: '☺' })
  })

  test('a binary failure is INTERNAL, as gRPC specifies, and classified malformed', () => {
    const error = catchError(() => decodeMessage(failing, new Uint8Array([1]), 'proto'))
    expect(error).toBeInstanceOf(MalformedMessageError)
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('failed to decode request message: not a valid message of the type')
    expect((error.cause as Error).message).toBe('bad wire type')
  })

  test.each([
    [
      'a RangeError (protobufjs: index out of range)',
      new RangeError('index out of range: 3 + 5 > 4'),
      'truncated message',
    ],
    ['a stack overflow', 'overflow', 'nested too deeply'],
    ['a SyntaxError', new SyntaxError('Unexpected token } in JSON at position 7'), 'not valid JSON'],
    ['a string', 'index out of range', 'not a valid message of the type'],
  ])("%s: fixed words, the decoder's text stays in cause", (_name, thrown, words) => {
    const codec: MessageCodec = {
      ...failing,
      decodeBinary: () => {
        if (thrown === 'overflow') return overflow()
        throw thrown
      },
    }
    const error = catchError(() => decodeMessage(codec, new Uint8Array([1]), 'proto'))
    expect(error.message).toBe(`failed to decode request message: ${words}`)
  })

  test('a JSON failure is INVALID_ARGUMENT, as Connect answers, and classified malformed', () => {
    const error = catchError(() => decodeMessage(failing, Buffer.from('{}'), 'json'))
    expect(error).toBeInstanceOf(MalformedMessageError)
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe('failed to parse JSON request message: not a valid message of the type')
  })

  test('JSON that is not UTF-8 is INVALID_ARGUMENT before the codec sees it', () => {
    const error = catchError(() => decodeMessage(textCodec, new Uint8Array([0x22, 0xff, 0x22]), 'json'))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toMatch(/^failed to parse JSON request message: /)
  })
})

describe('encodeMessage', () => {
  test('binary bytes as the codec makes them; JSON as UTF-8 bytes, protoNames passed on', () => {
    expect([...encodeMessage(textCodec, { text: 'ok' }, 'proto', false)]).toEqual([0x6f, 0x6b])
    expect(Buffer.from(encodeMessage(textCodec, { text: 'é' }, 'json', true)).toString()).toBe(
      '{"text":"é","protoNames":true}',
    )
  })

  test.each([
    [null, 'handler returned null, not a message'],
    [undefined, 'handler returned undefined, not a message'],
    ['text', 'handler returned string, not a message'],
  ])('a reply that is not an object (%p) is INTERNAL', (reply, message) => {
    const error = catchError(() => encodeMessage(textCodec, reply, 'proto', false))
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe(message)
  })

  test('a codec failure is INTERNAL, the cause kept', () => {
    const error = catchError(() => encodeMessage(failing, {}, 'proto', false))
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('failed to encode response message')
    expect((error.cause as Error).message).toBe('not a number')
  })
})

describe('PendingReply', () => {
  /** The text codec, able to leave room: it writes 0xee into the room so that the test sees where it went. */
  const roomyCodec: MessageCodec = {
    ...textCodec,
    encodeBinaryWithRoom: (message, headBytes, tailBytes) => ({
      bytes: Buffer.concat([
        Buffer.alloc(headBytes, 0xee),
        Buffer.from((message as { text: string }).text, 'latin1'),
        Buffer.alloc(tailBytes, 0xee),
      ]),
      release: () => {},
    }),
  }

  test("binary with room from the codec's own encodeBinaryWithRoom", () => {
    const { bytes } = new PendingReply(roomyCodec, { text: 'ok' }, 'proto', false).encode(2, 1)
    expect([...bytes]).toEqual([0xee, 0xee, 0x6f, 0x6b, 0xee])
  })

  test('a codec without it: the message copied into a buffer with room; none asked, the bytes as they are', () => {
    const { bytes } = new PendingReply(textCodec, { text: 'ok' }, 'proto', false).encode(2, 1)
    expect(bytes.byteLength).toBe(5)
    expect([...bytes.subarray(2, 4)]).toEqual([0x6f, 0x6b])
    expect([...new PendingReply(textCodec, { text: 'ok' }, 'proto', false).encode(0, 0).bytes]).toEqual([0x6f, 0x6b])
  })

  test('JSON through encodeJson even when the codec can leave room, protoNames passed on', () => {
    const { bytes } = new PendingReply(roomyCodec, { text: 'é' }, 'json', true).encode(1, 0)
    expect(Buffer.from(bytes.subarray(1)).toString()).toBe('{"text":"é","protoNames":true}')
  })

  test('what is not a message, or fails in the codec, is INTERNAL as with encodeMessage', () => {
    expect(catchError(() => new PendingReply(roomyCodec, null, 'proto', false).encode(5, 0)).message).toBe(
      'handler returned null, not a message',
    )
    const failingRoomy: MessageCodec = {
      ...failing,
      encodeBinaryWithRoom: () => {
        throw new Error('not a number')
      },
    }
    const error = catchError(() => new PendingReply(failingRoomy, {}, 'proto', false).encode(5, 0))
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('failed to encode response message')
    expect((error.cause as Error).message).toBe('not a number')
  })
})

function catchError(fn: () => unknown): GrpcError {
  try {
    fn()
  } catch (error) {
    if (error instanceof GrpcError) return error
    throw error
  }
  throw new Error('nothing was thrown')
}
