/**
 * The local gateway: `createDevServer` serves a Lambda handler over HTTP/1.1 and h2c. Not part of the package's main
 * entry, so that nothing here is loaded into a Lambda.
 */
export { createDevServer, type DevServer, type DevServerOptions } from './server.js'
export { createLambdaContext, type LambdaHandler } from './lambda-runtime.js'
export { installAwsLambdaGlobal, isStreamingHandler, type LambdaResponseStream } from './streaming.js'
export { toLambdaEvent, type IncomingHttpRequest, type ToLambdaEventOptions } from './lambda-event.js'
export {
  fromLambdaResult,
  checkLambdaResult,
  functionErrorResponse,
  type OutgoingHttpResponse,
  type LambdaResultCheck,
} from './lambda-result.js'
export { createReflectionServices } from './reflection.js'
export {
  describeRegisteredServices,
  describeServices,
  type DescribedServices,
  type FileDescriptor,
} from './file-descriptors.js'
export type { LocalMethod, LocalServices } from './local-services.js'
