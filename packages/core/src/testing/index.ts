/**
 * Conformance suites, written once and run by every store and adapter package.
 *
 * @module
 */
export {
  describeStoreConformance,
  makeStoredSession,
  type StoreConformanceOptions,
  uniqueId,
} from "./store-conformance.js";
