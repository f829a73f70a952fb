// Cold-start contestant: the example handler itself (examples/greeter/handler.js), `middy-grpc` resolved to src.
export { handler } from '../../examples/greeter/handler.js'
