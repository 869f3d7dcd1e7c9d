/**
 * One request's walk through sesame: the files and functions it runs through (measured by
 * `src/micro/walk.ts`), as Markdown and against the target.
 *
 * @module
 */
import type { Framework } from "./config.js";
import type { TargetCheck } from "./targets.js";

/** The requests whose walk is taken. */
export const WALKED_REQUESTS = ["first read of a cookie", "later read", "signed login"] as const;

/** One request's walk: each file of `packages/` that ran, with its functions and their calls. */
export interface RequestWalk {
  framework: Framework;
  request: (typeof WALKED_REQUESTS)[number];
  files: { file: string; functions: string[] }[];
}

/** Markdown: each walk's files, with the functions that ran in each. */
export function renderWalks(walks: readonly RequestWalk[]): string {
  return walks
    .map(({ framework, request, files }) => {
      const functions = files.reduce((sum, { functions }) => sum + functions.length, 0);
      return [
        `### ${framework}, ${request}: ${files.length} files, ${functions} functions`,
        "",
        "| file | functions (calls) |",
        "|---|---|",
        ...files.map(({ file, functions }) => `| \`${file}\` | ${functions.join(", ")} |`),
        "",
      ].join("\n");
    })
    .join("\n");
}

/** Most files a read of a known cookie may run through, the adapter and the store included. */
export const READ_WALK_FILES = 8;

/** The walk target, on each framework: a later read within {@link READ_WALK_FILES} files. */
export function walkTarget(walks: readonly RequestWalk[]): TargetCheck {
  const reads = walks.filter((walk) => walk.request === "later read");
  return {
    target: `a later read runs through ≤ ${READ_WALK_FILES} files of sesame (adapter and store included)`,
    measured: reads.map((walk) => `${walk.framework} ${walk.files.length}`).join(", "),
    met: reads.length > 0 && reads.every((walk) => walk.files.length <= READ_WALK_FILES),
    metOnSecondary: null,
  };
}
