/**
 * Conformance suites, written once and run by every store and adapter package.
 *
 * @module
 */
export {
  describeStoreConformance,
  makeStoredSession,
  uniqueId,
  type StoreConformanceOptions,
} from "./store-conformance.js";
