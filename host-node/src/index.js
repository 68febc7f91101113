// durable-core for Node: the rules of AWS Lambda durable executions, from one WebAssembly component.

export { classifyApiError, classifyError, rules } from './classify.js';
export { coreInfo } from './info.js';
export { profiles } from './profiles.js';
export { DurableCoreError } from './errors.js';
export * as retry from './retry.js';
export * as aws from './aws.js';
