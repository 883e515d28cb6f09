export { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
export { mosquittoUrl } from './mosquitto.js';
