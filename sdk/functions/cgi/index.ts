export { type Gateway, type GatewayOptions, startGateway } from './gateway.js';
export { buildMetaVariables, type CgiRequest, encodeEnvBlock, pathInfo } from './meta-variables.js';
export {
  type CgiHead,
  type CgiResponseKind,
  CgiResponseParser,
  classify,
  parseHead,
} from './response-parser.js';
export { type CgiRoute, matchRoute, parseRoute, validateRoutes } from './routes.js';
