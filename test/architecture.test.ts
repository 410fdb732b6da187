/**
 * The layers a newcomer sees at a glance, read from the imports: cli → server → ui → session → presets → training → steering
 * → engine → native → gguf → the ground floor (errors, displayText) → config. A module imports only its own folder or lower
 * ones, and no chain of imports comes back to where it started.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from "node:fs";
import os from "node:os";
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

/** what changes the steering on a controller: under src/ui only ChatSession (`session.…`) may be asked to do it */
const STEERING_MUTATIONS = ["update", "addVector", "setLayers", "applyStaged", "applyUnsteered", "reapply"];

/** the code without its comments (a comment may name `controller.update(` without calling it) */
const withoutComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/**
 * Each place a file under src/ui changes the steering other than through the session: a steering-changing call on
 * anything but `session`, or a value import from the steering controller (a type import is fine).
 */
function steeringBypasses(files: readonly string[]): string[] {
    const found: string[] = [];
    const call = new RegExp(`([\\w$\\])]+)\\s*\\??\\.\\s*(${STEERING_MUTATIONS.join("|")})\\s*\\(`, "g");
    for (const file of files) {
        const code = withoutComments(readFileSync(file, "utf8"));
        const where = path.relative(src, file);
        for (const m of code.matchAll(call)) if (m[1] !== "session") found.push(`${where}: ${m[0]}`);
        for (const m of code.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*["'][^"']*steeringController(?:\.js)?["']/g)) {
            const values = m[1] != null ? [] : m[2]!.split(",").map((n) => n.trim()).filter((n) => n !== "" && !n.startsWith("type "));
            if (values.length > 0) found.push(`${where}: imports ${values.join(", ")} from steeringController`);
        }
        for (const m of code.matchAll(/import\s+(?!type\b)[\w$*\s]+from\s*["'][^"']*steeringController(?:\.js)?["']/g))
            found.push(`${where}: ${m[0]}`);
    }
    return found;
}

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

    it("the screen changes the steering only through the session (ChatSession.stage and its commands)", () => {
        const ui = [...modules].filter((file) => layerOf(file) === "ui");
        expect(ui.length).toBeGreaterThan(10);
        expect(steeringBypasses(ui)).toEqual([]);
    });

    it("the steering check catches a panel that stages on the controller itself", () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "steer-arch-"));
        const write = (name: string, code: string) => {
            writeFileSync(path.join(dir, name), code);
            return path.join(dir, name);
        };
        try {
            const bypassing = [
                write("panel.ts", "import type {SteeringController} from \"../steering/steeringController.js\";\n" +
                    "export const f = (controller: SteeringController) => controller.update(() => next);"),
                write("layers.ts", "export const g = (session: S) => session.requireSteering().setLayers(name, range);"),
                write("values.ts", "import {SteeringController} from \"../steering/steeringController.js\";"),
                write("turn.ts", "export const h = (c: C) => c.steering?.applyStaged();")
            ];
            const fine = write("fine.ts", "import type {SteeringController} from \"../steering/steeringController.js\";\n" +
                "// controller.update(() => x) in a comment\nexport const k = (session: S) => { session.stage(f); session.setLayers(n, r); };");
            expect(steeringBypasses(bypassing)).toHaveLength(4);
            expect(steeringBypasses([fine])).toEqual([]);
        } finally {
            rmSync(dir, {recursive: true, force: true});
        }
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
