/**
 * The local gateway: `createDevServer` serves a Lambda handler over HTTP/1.1 and h2c. Not part of the package's main
 * entry, so that nothing here is loaded into a Lambda.
 */
export { createDevServer, type DevServer, type DevServerOptions, type LambdaHandler } from './server.js'
export { installAwsLambdaGlobal, isStreamingHandler, type LambdaResponseStream } from './streaming.js'
export {
  toLambdaEvent,
  fromLambdaResult,
  checkLambdaResult,
  createLambdaContext,
  functionErrorResponse,
  type IncomingHttpRequest,
  type OutgoingHttpResponse,
  type LambdaResultCheck,
  type ToLambdaEventOptions,
} from './lambda-event.js'
