/**
 * Prints the functions with the most self time in a V8 CPU profile (`node --cpu-prof`).
 *
 * Usage: `tsx src/profile-summary.ts <file.cpuprofile> [top]`
 *
 * @module
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file, line), largest first, as shares of all samples. */
export function summarizeProfile(profile: CpuProfile): { name: string; share: number }[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  for (const [index, nodeId] of profile.samples.entries()) {
    const frame = byNode.get(nodeId)?.callFrame;
    if (frame === undefined) continue;
    const file = frame.url.replace(/^.*\/(node_modules|packages)\//, "$1/");
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const all = [...totals.values()].reduce((sum, value) => sum + value, 0);
  return [...totals.entries()]
    .map(([name, time]) => ({ name, share: time / all }))
    .sort((a, b) => b.share - a.share);
}

const [file, top = "25"] = process.argv.slice(2);
if (file !== undefined) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  for (const { name, share } of summarizeProfile(profile).slice(0, Number(top))) {
    process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}
