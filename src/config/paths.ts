/**
 * Where steer-chat keeps the user's files. The config folder follows the XDG convention on Linux (so tests isolate
 * it with XDG_CONFIG_HOME); `conf` stores presets there and user vectors live beside them.
 */
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

export const APP_NAME = "steer-chat";

/** An XDG base folder from the environment: the XDG spec says a relative one is invalid and is to be ignored. */
function xdgHome(variable: "XDG_CONFIG_HOME" | "XDG_DATA_HOME", fallback: string): string {
    const value = process.env[variable];
    return value && path.isAbsolute(value) ? value : fallback;
}

export function configDir(): string {
    if (process.env.STEER_CHAT_CONFIG_DIR) return process.env.STEER_CHAT_CONFIG_DIR;
    if (process.platform === "win32")
        return path.join(process.env.APPDATA ?? path.join(os.homedir(), "AppData", "Roaming"), APP_NAME);
    if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Preferences", APP_NAME);
    return path.join(xdgHome("XDG_CONFIG_HOME", path.join(os.homedir(), ".config")), APP_NAME);
}

/** Where steer-chat keeps what it makes for itself (trained recipe vectors, model hashes). */
export function dataDir(): string {
    if (process.env.STEER_CHAT_DATA_DIR) return process.env.STEER_CHAT_DATA_DIR;
    if (process.env.STEER_CHAT_CONFIG_DIR) return path.join(process.env.STEER_CHAT_CONFIG_DIR, "data");
    if (process.platform === "win32")
        return path.join(process.env.LOCALAPPDATA ?? path.join(os.homedir(), "AppData", "Local"), APP_NAME);
    if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Application Support", APP_NAME);
    return path.join(xdgHome("XDG_DATA_HOME", path.join(os.homedir(), ".local", "share")), APP_NAME);
}

export function userVectorsDir(): string {
    return path.join(configDir(), "vectors");
}

/** The package's own folder (holding vectors/, presets/, build/), whether running from dist/ or src/. */
export function packageRoot(): string {
    return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
}

export function shippedVectorsDir(): string {
    return path.join(packageRoot(), "vectors");
}

/** The built-in demo model: TinyStories 260K (MIT, models/README.md), so a first run works offline. */
export function demoModelPath(): string {
    return path.join(packageRoot(), "models", "stories260K.gguf");
}
