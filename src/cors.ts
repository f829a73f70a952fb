/**
 * Request headers browsers must be allowed to send (`Access-Control-Allow-Headers`) for gRPC-Web, Connect and Twirp
 * calls, to pass to @middy/http-cors as `headers`. Add your own metadata names.
 */
export const corsAllowedHeaders = [
  'content-type',
  'connect-protocol-version',
  'connect-timeout-ms',
  'connect-content-encoding',
  'connect-accept-encoding',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'x-grpc-web',
  'x-user-agent',
] as const

/**
 * Response headers browsers must be allowed to read (`Access-Control-Expose-Headers`), to pass to @middy/http-cors
 * as `exposeHeaders`. Add your own metadata names, and `trailer-<name>` for Connect unary trailers.
 */
export const corsExposedHeaders = ['grpc-status', 'grpc-message', 'grpc-status-details-bin', 'grpc-encoding'] as const
