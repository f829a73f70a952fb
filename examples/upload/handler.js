import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { GrpcError, Status, grpcFraming, grpcRouter } from 'middy-grpc'

const root = protobuf.loadSync(fileURLToPath(new URL('./upload.proto', import.meta.url)))
const Uploader = root.lookupService('upload.v1.Uploader')

export const handler = middy()
  // A request stream arrives whole (at most 6 MB through API Gateway and Function URLs, 1 MB through ALB):
  // readMaxBytes caps each chunk, readMaxMessages the number of chunks.
  .use(grpcFraming({ service: Uploader, readMaxBytes: 1024 * 1024, readMaxMessages: 1000 }))
  .handler(
    grpcRouter({
      // Each chunk is decoded when the loop reaches it; a bad one throws here, after the chunks before it.
      async Upload(event) {
        const hash = createHash('sha256')
        const seqs = []
        let bytes = 0
        for await (const chunk of event.messages) {
          if (chunk.data.length === 0) throw new GrpcError(Status.INVALID_ARGUMENT, `chunk ${chunk.seq} is empty`)
          hash.update(chunk.data)
          seqs.push(chunk.seq)
          bytes += chunk.data.length
        }
        return { chunks: seqs.length, bytes, sha256: hash.digest('hex'), seqs }
      },
      // Replies go out only after the whole request was read: on Lambda a bidi call is half-duplex.
      async *Acknowledge(event) {
        for await (const chunk of event.messages) yield { seq: chunk.seq, bytes: chunk.data.length }
      },
    }),
  )
