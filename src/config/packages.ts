/**
 * Versions of the packages steer-chat runs with, found the way Node resolves them from here (nested or hoisted
 * installs alike). node-llama-cpp's "exports" hide its package.json, so its folder is looked up along Node's paths.
 */
import {existsSync, readFileSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";

export function installedPackageVersion(name: string): string | undefined {
    const dirs = createRequire(import.meta.url).resolve.paths(name) ?? [];
    const dir = dirs.map((d) => path.join(d, name)).find((d) => existsSync(path.join(d, "package.json")));
    if (dir == null) return undefined;
    return (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {version?: string}).version;
}
