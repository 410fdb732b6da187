/** Helpers for driving Ink apps in ink-testing-library like a person at a keyboard. */
import {EventEmitter} from "node:events";
export const keys = {
    enter: "\r",
    tab: "\t",
    escape: "\u001B",
    up: "\u001B[A",
    down: "\u001B[B",
    right: "\u001B[C",
    left: "\u001B[D",
    shiftRight: "\u001B[1;2C",
    shiftLeft: "\u001B[1;2D",
    ctrlC: "\u0003",
    ctrlS: "\u0013",
    ctrlP: "\u0010"
};

export const tick = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes keys one at a time with a pause, as typing does (Ink reads one chunk per event). */
export async function press(stdin: {write: (data: string) => void}, ...sequence: string[]) {
    for (const k of sequence) {
        stdin.write(k);
        await tick();
    }
}

export async function typeText(stdin: {write: (data: string) => void}, text: string) {
    for (const ch of text) {
        stdin.write(ch);
        await tick(15);
    }
    await tick();
}

/** Polls until the frame satisfies the check; throws with the last frame when the time runs out. */
export async function waitForFrame(frame: () => string | undefined, check: (f: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const f = frame() ?? "";
        if (check(f)) return f;
        if (Date.now() > deadline) throw new Error(`waitForFrame: timed out after ${timeoutMs} ms waiting for ${check.toString()}; last frame:\n${f}`);
        await tick(40);
    }
}

/**
 * A terminal's input for TerminalKeyboard (src/ui/terminalKeyboard.ts): what `type` sends arrives as one chunk, as
 * a pty read delivers it; the raw-mode switches are recorded.
 */
export class FakeTty extends EventEmitter {
    rawMode = false;
    readonly rawModeCalls: boolean[] = [];
    setRawMode(enabled: boolean) {
        this.rawMode = enabled;
        this.rawModeCalls.push(enabled);
        return this;
    }
    setEncoding() { return this; }
    ref() { return this; }
    unref() { return this; }
    pause() { return this; }
    resume() { return this; }
    type(chunk: string) {
        this.emit("data", chunk);
    }
}

/** Ink's output in debug mode: every write is a whole frame */
export class FakeStdout extends EventEmitter {
    columns = 100;
    rows = 40;
    readonly frames: string[] = [];
    write = (data: string) => {
        this.frames.push(data);
        return true;
    };
    lastFrame = () => this.frames.at(-1);
}

/** collects what is written (the keyboard's mode switches) */
export class Recorder {
    text = "";
    write(data: string) {
        this.text += data;
        return true;
    }
}
