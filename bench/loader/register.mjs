/**
 * Registers loader/hooks.mjs: `node --import ./loader/register.mjs` runs TypeScript sources.
 */
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
