/**
 * The layers a newcomer sees at a glance, read from the imports: cli → server → ui → session → presets → training → steering
 * → engine → native → gguf → the ground floor (errors, displayText) → config. A module imports only its own folder or lower
 * ones, and no chain of imports comes back to where it started.
 */
import {readdirSync, readFileSync, statSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {repoRoot} from "./helpers/tinyModel.js";

const LAYERS = ["cli", "server", "ui", "session", "presets", "training", "steering", "engine", "native", "gguf", "(ground)", "config"];
const src = path.join(repoRoot, "src");

function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? files(full) : /\.tsx?$/.test(name) ? [full] : [];
    });
}

const layerOf = (file: string) => {
    const parts = path.relative(src, file).split(path.sep);
    return parts.length === 1 ? "(ground)" : parts[0]!;
};

const modules = new Set(files(src));

/** each module's relative imports, as files */
const graph = new Map([...modules].map((file) => {
    const imports = [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)].map((m) =>
        path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, "")).map((base) => [`${base}.ts`, `${base}.tsx`].find((f) => modules.has(f)) ?? base);
    return [file, imports];
}));

describe("the architecture, read from the imports", () => {
    it("every folder under src is a known layer", () => {
        for (const file of graph.keys()) expect(LAYERS, file).toContain(layerOf(file));
    });

    it("no module imports a higher layer", () => {
        const upward: string[] = [];
        for (const [file, imports] of graph) for (const target of imports) {
            if (LAYERS.indexOf(layerOf(target)) < LAYERS.indexOf(layerOf(file)))
                upward.push(`${path.relative(src, file)} → ${path.relative(src, target)}`);
        }
        expect(upward).toEqual([]);
    });

    it("has no import cycles", () => {
        const cycles: string[] = [];
        const state = new Map<string, "open" | "done">();
        const visit = (file: string, trail: string[]) => {
            if (state.get(file) === "done") return;
            if (state.get(file) === "open") {
                cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(src, f)).join(" → "));
                return;
            }
            state.set(file, "open");
            for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
            state.set(file, "done");
        };
        for (const file of graph.keys()) visit(file, []);
        expect(cycles).toEqual([]);
    });
});
