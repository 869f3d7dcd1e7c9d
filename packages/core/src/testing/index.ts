/**
 * Conformance suites, written once and run by every store and adapter package.
 *
 * @module
 */

export * from "./adapter-conformance.js";
export {
  describeStoreConformance,
  makeStoredSession,
  type StoreConformanceOptions,
  uniqueId,
} from "./store-conformance.js";
