/**
 * Prints what core's crypto costs per call on the runtime running it: the Web Crypto platform
 * (what Deno and Workers use), and node:crypto's (what Node and Bun use) for comparison.
 * `bash .ci/runtimes --timing` runs it on Node, Bun and Deno, and in workerd.
 */
import { platform as nodePlatform } from "../packages/core/src/platform/node.ts";
import { platform as webPlatform } from "../packages/core/src/platform/web.ts";
import { formatCost, measureCryptoCost } from "./shared/webcrypto-cost.ts";

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

const runtime =
  typeof Bun !== "undefined"
    ? `Bun ${Bun.version}`
    : typeof Deno !== "undefined"
      ? `Deno ${Deno.version.deno}`
      : `Node ${process.version}`;

console.log(formatCost(`${runtime}, Web Crypto`, await measureCryptoCost(webPlatform)));
console.log(formatCost(`${runtime}, node:crypto`, await measureCryptoCost(nodePlatform)));
